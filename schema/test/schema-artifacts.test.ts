import { readFileSync } from 'node:fs';
import { produceArtifacts } from '../src/compose';
import { SUPERGRAPH_PATH } from '../src/subgraphs';

// The schema is an artifact: what is committed must be exactly what the code emits.
describe('committed schema artifacts', () => {
  let art: Awaited<ReturnType<typeof produceArtifacts>>;
  beforeAll(async () => {
    art = await produceArtifacts();
  });

  it('composes all five subgraphs', () => {
    expect(art.subgraphs.map((s) => s.name).sort()).toEqual(['assets', 'orders', 'payments', 'tariffs', 'tenants']);
  });

  it.each(['tenants', 'assets', 'tariffs', 'orders', 'payments'])('%s SDL matches the committed file', (name) => {
    const sg = art.subgraphs.find((s) => s.name === name)!;
    expect(readFileSync(sg.sdlPath, 'utf8')).toBe(sg.sdl);
  });

  it('supergraph matches the committed file', () => {
    expect(readFileSync(SUPERGRAPH_PATH, 'utf8')).toBe(art.supergraph);
  });

  it('every subgraph core entity has a @key', () => {
    for (const [name, entity] of [
      ['tenants', 'Tenant'],
      ['assets', 'Station'],
      ['tariffs', 'TariffPlan'],
      ['orders', 'ChargingOrder'],
      ['payments', 'Payment'],
    ]) {
      const sdl = art.subgraphs.find((s) => s.name === name)!.sdl;
      expect(sdl).toMatch(new RegExp(`type ${entity} @key\\(fields: "id"\\)`));
    }
  });
});
