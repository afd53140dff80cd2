import type { Artifacts } from '../src/compose';
import { roverChecks } from '../src/rover';

const art = { subgraphs: [{ name: 'assets', sdlPath: '/repo/subgraphs/assets/assets.graphql' }] } as unknown as Artifacts;
const ok = { status: 0, stdout: '', stderr: '' };

describe('rover subgraph check', () => {
  it('is skipped without APOLLO_KEY, and says so', () => {
    const calls: string[][] = [];
    const r = roverChecks(art, {}, (_c, a) => (calls.push(a), ok));
    expect(r).toEqual({ status: 'skipped', lines: ['rover subgraph check: skipped (APOLLO_KEY is not set)'] });
    expect(calls).toEqual([]);
  });

  it('needs APOLLO_GRAPH_REF with APOLLO_KEY, and says when rover is missing', () => {
    expect(roverChecks(art, { APOLLO_KEY: 'k' }, () => ok).status).toBe('misconfigured');
    const missing = roverChecks(art, { APOLLO_KEY: 'k', APOLLO_GRAPH_REF: 'evcs@ci' }, () => ({
      ...ok,
      status: null,
      error: new Error('spawnSync rover ENOENT'),
    }));
    expect(missing).toEqual({
      status: 'misconfigured',
      lines: ['rover subgraph check: APOLLO_KEY is set but rover is missing (not on PATH: spawnSync rover ENOENT)'],
    });
  });

  it('runs one check per subgraph against the graph ref and fails on a failed check', () => {
    const calls: string[][] = [];
    const r = roverChecks(art, { APOLLO_KEY: 'k', APOLLO_GRAPH_REF: 'evcs@ci' }, (_c, a) => {
      calls.push(a);
      return a[0] === 'subgraph' ? { status: 1, stdout: 'FIELD_REMOVED Station.code', stderr: '' } : ok;
    });
    expect(calls[1]).toEqual(['subgraph', 'check', 'evcs@ci', '--name', 'assets', '--schema', expect.stringMatching(/assets\.graphql$/)]);
    expect(r.status).toBe('failed');
    expect(r.lines).toEqual(['rover subgraph check evcs@ci --name assets: FAILED (exit 1)', '    FIELD_REMOVED Station.code']);
  });
});
