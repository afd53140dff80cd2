import { randomUUID } from 'node:crypto';
import { Knex, withTenant } from '@evcs/platform';
import { Harness, startHarness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});

interface SeedStation {
  code: string;
  name?: string;
  status?: string;
  retired?: boolean;
  chargers?: { code: string; online?: boolean; protocol?: string; retired?: boolean; connectors?: (string | { status: string; retired: true })[] }[];
}

/** Straight SQL through RLS as the app role: many rows fast, states the API would take many steps to reach. */
async function seed(tenantId: string, stations: SeedStation[]): Promise<Record<string, string>> {
  const ids: Record<string, string> = {};
  await withTenant(h.knex, tenantId, async (trx: Knex.Transaction) => {
    for (const s of stations) {
      const [st] = await trx('stations')
        .insert({
          tenant_id: tenantId,
          code: s.code,
          name: s.name ?? `Station ${s.code}`,
          status: s.retired ? 'CLOSED' : (s.status ?? 'OPERATING'),
          retired_at: s.retired ? new Date() : null,
        })
        .returning('id');
      ids[s.code] = st.id;
      for (const c of s.chargers ?? []) {
        const [ch] = await trx('chargers')
          .insert({
            tenant_id: tenantId,
            station_id: st.id,
            code: c.code,
            online: c.online ?? false,
            protocol: c.protocol ?? 'OCPP16',
            rated_power_kw: '60',
            registration_state: c.retired ? 'RETIRED' : 'REGISTERED',
            retired_at: c.retired ? new Date() : null,
          })
          .returning('id');
        ids[c.code] = ch.id;
        let no = 1;
        for (const k of c.connectors ?? []) {
          const status = typeof k === 'string' ? k : k.status;
          await trx('connectors').insert({
            tenant_id: tenantId,
            charger_id: ch.id,
            connector_no: no++,
            status,
            retired_at: typeof k === 'string' ? null : new Date(),
          });
        }
      }
    }
  });
  return ids;
}

const STATIONS_PAGE = `query($first: Int!, $after: String, $filter: StationFilter) {
  stations(first: $first, after: $after, filter: $filter) { totalCount edges { cursor node { id code status } } pageInfo { hasNextPage endCursor } } }`;
const CHARGERS_PAGE = `query($first: Int!, $after: String, $filter: ChargerFilter) {
  chargers(first: $first, after: $after, filter: $filter) { totalCount edges { cursor node { id code online protocol } } pageInfo { hasNextPage endCursor } } }`;

async function walk(field: 'stations' | 'chargers', token: string, first: number, filter?: Record<string, unknown>, between?: (page: number) => Promise<void>) {
  const nodes: { id: string; code: string }[] = [];
  let after: string | null = null;
  for (let page = 0; page < 100; page++) {
    const r = await h.gql(field === 'stations' ? STATIONS_PAGE : CHARGERS_PAGE, token, { first, after, filter });
    expect(r.body.errors).toBeUndefined();
    const conn = r.body.data[field];
    expect(conn.edges.length).toBeLessThanOrEqual(first);
    nodes.push(...conn.edges.map((e: { node: { id: string; code: string } }) => e.node));
    if (conn.edges.length) expect(conn.pageInfo.endCursor).toBe(conn.edges[conn.edges.length - 1].cursor);
    if (!conn.pageInfo.hasNextPage) return { nodes, totalCount: conn.totalCount as number, pages: page + 1 };
    after = conn.pageInfo.endCursor;
    await between?.(page);
  }
  throw new Error('pagination did not end');
}

const BACKWARD_PAGE = (
  field: 'stations' | 'chargers',
) => `query($last: Int, $before: String, $filter: ${field === 'stations' ? 'StationFilter' : 'ChargerFilter'}) {
  ${field}(last: $last, before: $before, filter: $filter) { edges { cursor node { id code } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`;

/** Pages a list backwards from its end (last/before) until there is no previous page. */
async function walkBack(field: 'stations' | 'chargers', token: string, last: number, filter?: Record<string, unknown>) {
  const nodes: { id: string; code: string }[] = [];
  let before: string | null = null;
  for (let page = 0; page < 100; page++) {
    const r = await h.gql(BACKWARD_PAGE(field), token, { last, before, filter });
    expect(r.body.errors).toBeUndefined();
    const conn = r.body.data[field];
    expect(conn.pageInfo.hasNextPage).toBe(before !== null);
    if (conn.edges.length) expect(conn.pageInfo.startCursor).toBe(conn.edges[0].cursor);
    nodes.unshift(...conn.edges.map((e: { node: { id: string; code: string } }) => e.node));
    if (!conn.pageInfo.hasPreviousPage) return nodes;
    before = conn.pageInfo.startCursor;
  }
  throw new Error('pagination did not end');
}

describe('stations connection', () => {
  const t = randomUUID();
  const codes = Array.from({ length: 23 }, (_, i) => `P-${String(i).padStart(3, '0')}`);
  beforeAll(async () => {
    await seed(t, [
      ...codes.map((code, i) => ({ code, name: i === 7 ? 'Harbour Depot' : `Site ${i}`, status: i % 5 === 0 ? 'MAINTENANCE' : 'OPERATING' })),
      { code: 'Q_1', name: 'literal underscore' },
      { code: 'QX1', name: 'not matched by Q_ prefix' },
      { code: 'OLD-1', retired: true },
    ]);
  });

  it('walks every page in code order without gaps or duplicates', async () => {
    const tok = await h.token(t);
    for (const first of [1, 5, 26, 500]) {
      const { nodes, totalCount } = await walk('stations', tok, first);
      // Q_1 / QX1: their order is the database collation's (the cursor follows the same one)
      expect(nodes.map((n) => n.code).slice(0, 23)).toEqual(codes);
      expect(
        nodes
          .map((n) => n.code)
          .slice(23)
          .sort(),
      ).toEqual(['QX1', 'Q_1']);
      expect(new Set(nodes.map((n) => n.id)).size).toBe(nodes.length);
      expect(totalCount).toBe(25);
    }
  });

  it('pages backwards (last/before) through the same rows in the same order', async () => {
    const tok = await h.token(t);
    const forward = await walk('stations', tok, 4, { codePrefix: 'P-0' });
    const backward = await walkBack('stations', tok, 4, { codePrefix: 'P-0' });
    expect(backward.map((n) => n.code)).toEqual(forward.nodes.map((n) => n.code));
    expect(backward.map((n) => n.code)).toEqual(codes.filter((c) => c.startsWith('P-0')));
    // mixing directions or sizes out of range is refused
    for (const vars of [{ first: 2, last: 2 }, { last: 0 }, { last: 501 }]) {
      const r = await h.gql('query($first: Int, $last: Int) { stations(first: $first, last: $last) { edges { cursor } } }', tok, vars);
      expect(r.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
  });

  it('rows inserted behind the cursor while paging neither repeat nor shift later rows', async () => {
    const tok = await h.token(t);
    const { nodes } = await walk('stations', tok, 4, { codePrefix: 'P-' }, async (page) => {
      if (page === 1) await seed(t, [{ code: `P-000-late-${randomUUID().slice(0, 4)}` }]);
    });
    const seen = nodes.map((n) => n.code).filter((c) => !c.includes('late'));
    expect(seen).toEqual(codes);
    expect(new Set(nodes.map((n) => n.id)).size).toBe(nodes.length);
  });

  it('filters by status, literal code prefix, search text, and retired', async () => {
    const tok = await h.token(t);
    const q = async (filter: Record<string, unknown>) => {
      const r = await h.gql(STATIONS_PAGE, tok, { first: 500, filter });
      expect(r.body.errors).toBeUndefined();
      return {
        codes: r.body.data.stations.edges.map((e: { node: { code: string } }) => e.node.code) as string[],
        total: r.body.data.stations.totalCount as number,
      };
    };
    const maint = await q({ status: ['MAINTENANCE'] });
    expect(maint.codes).toEqual(codes.filter((_, i) => i % 5 === 0));
    expect(maint.total).toBe(5);
    expect((await q({ codePrefix: 'Q_' })).codes).toEqual(['Q_1']);
    expect((await q({ codePrefix: 'P-01' })).codes).toEqual(codes.slice(10, 20));
    expect((await q({ search: 'harbour' })).codes).toEqual(['P-007']);
    expect((await q({ search: '%' })).codes).toEqual([]);
    expect((await q({ status: ['CLOSED'] })).codes).toEqual([]);
    const long = await h.gql(STATIONS_PAGE, tok, { first: 5, filter: { search: 'x'.repeat(101) } });
    expect(long.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect((await q({ status: ['CLOSED'], includeRetired: true })).codes).toEqual(['OLD-1']);
  });

  it('rejects bad page sizes and cursors with BAD_USER_INPUT', async () => {
    const tok = await h.token(t);
    const charger = await h.gql(CHARGERS_PAGE, tok, { first: 1 });
    const foreignCursor = charger.body.data.chargers.edges[0]?.cursor ?? Buffer.from(JSON.stringify(['charger', 'X', randomUUID()])).toString('base64url');
    for (const vars of [
      { first: 0 },
      { first: 501 },
      { first: 10, after: 'garbage!' },
      { first: 10, after: Buffer.from('["station","x","not-a-uuid"]').toString('base64url') },
      { first: 10, after: foreignCursor },
    ]) {
      const r = await h.gql(STATIONS_PAGE, tok, vars);
      expect(r.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
  });

  it('pages through a parent and its child tenant even where codes repeat across them', async () => {
    const parent = randomUUID();
    const child = randomUUID();
    await seed(parent, [{ code: 'S-1' }, { code: 'S-2' }, { code: 'S-3' }]);
    await seed(child, [{ code: 'S-1' }, { code: 'S-2' }, { code: 'S-3' }]);
    const tok = await h.token(parent, { dataScope: 'TENANT_AND_CHILDREN', visibleTenantIds: [parent, child] });
    const { nodes, totalCount } = await walk('stations', tok, 1);
    expect(nodes.map((n) => n.code)).toEqual(['S-1', 'S-1', 'S-2', 'S-2', 'S-3', 'S-3']);
    expect(new Set(nodes.map((n) => n.id)).size).toBe(6);
    expect(totalCount).toBe(6);
    // the child sees only its own
    expect((await walk('stations', await h.token(child), 2)).totalCount).toBe(3);
  });

  it('a station manager pages only through assigned stations', async () => {
    const ids = await withTenant(h.knex, t, async (trx) =>
      (await trx('stations').whereIn('code', ['P-003', 'P-011']).select('id')).map((r: { id: string }) => r.id),
    );
    const tok = await h.token(t, { dataScope: 'ASSIGNED_STATIONS', stationIds: ids });
    const { nodes, totalCount } = await walk('stations', tok, 1);
    expect(nodes.map((n) => n.code)).toEqual(['P-003', 'P-011']);
    expect(totalCount).toBe(2);
  });
});

describe('chargers connection', () => {
  const t = randomUUID();
  let ids: Record<string, string>;
  beforeAll(async () => {
    ids = await seed(t, [
      {
        code: 'CS-A',
        chargers: [
          { code: 'CA-1', online: true, connectors: ['Charging', 'Available'] },
          { code: 'CA-2', online: false, connectors: ['Offline'] },
          { code: 'CA-3', online: true, protocol: 'YKC', connectors: ['Faulted'] },
        ],
      },
      { code: 'CS-B', chargers: Array.from({ length: 7 }, (_, i) => ({ code: `CB-${i}`, online: i % 2 === 0, connectors: ['Available'] })) },
      { code: 'CS-C', chargers: [{ code: 'CC-OLD', retired: true, online: true, connectors: ['Charging'] }] },
    ]);
  });

  it('walks all active chargers without gaps or duplicates', async () => {
    const { nodes, totalCount } = await walk('chargers', await h.token(t), 3);
    expect(nodes.map((n) => n.code)).toEqual(['CA-1', 'CA-2', 'CA-3', ...Array.from({ length: 7 }, (_, i) => `CB-${i}`)]);
    expect(totalCount).toBe(10);
  });

  it('pages backwards through the same chargers', async () => {
    const tok = await h.token(t);
    const forward = await walk('chargers', tok, 3);
    expect((await walkBack('chargers', tok, 3)).map((n) => n.id)).toEqual(forward.nodes.map((n) => n.id));
  });

  it('filters by station, online, protocol, connector status and retired', async () => {
    const tok = await h.token(t);
    const q = async (filter: Record<string, unknown>) => {
      const r = await h.gql(CHARGERS_PAGE, tok, { first: 500, filter });
      expect(r.body.errors).toBeUndefined();
      return r.body.data.chargers.edges.map((e: { node: { code: string } }) => e.node.code) as string[];
    };
    expect(await q({ stationId: ids['CS-A'] })).toEqual(['CA-1', 'CA-2', 'CA-3']);
    expect(await q({ stationId: ids['CS-A'], online: true })).toEqual(['CA-1', 'CA-3']);
    expect(await q({ protocol: 'YKC' })).toEqual(['CA-3']);
    expect(await q({ connectorStatus: ['Charging', 'Faulted'] })).toEqual(['CA-1', 'CA-3']);
    expect(await q({ connectorStatus: ['Offline'] })).toEqual(['CA-2']);
    expect(await q({ stationId: ids['CS-C'] })).toEqual([]);
    expect(await q({ stationId: ids['CS-C'], includeRetired: true })).toEqual(['CC-OLD']);
    const bad = await h.gql(CHARGERS_PAGE, tok, { first: 5, filter: { connectorStatus: ['Sleeping'] } });
    expect(bad.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });

  it("never lists another tenant's chargers", async () => {
    const other = randomUUID();
    await seed(other, [{ code: 'CS-A', chargers: [{ code: 'OTHER-1', connectors: ['Available'] }] }]);
    const { nodes } = await walk('chargers', await h.token(t), 500);
    expect(nodes.map((n) => n.code)).not.toContain('OTHER-1');
    const r = await h.gql(CHARGERS_PAGE, await h.token(t), { first: 10, filter: { stationId: (await seed(randomUUID(), [{ code: 'Z' }]))['Z'] } });
    expect(r.body.data.chargers.totalCount).toBe(0);
  });

  it('station stats are computed by the database: active connectors by status, online rate; batched across stations', async () => {
    const tok = await h.token(t);
    const grouped: string[] = [];
    const onQuery = (q: { sql: string }) => {
      if (/group by/i.test(q.sql)) grouped.push(q.sql);
    };
    h.knex.on('query', onQuery);
    let r;
    try {
      r = await h.gql(
        '{ stations(first: 50) { edges { node { code stats { chargersTotal chargersOnline onlineRate connectorsByStatus { status count } } } } } }',
        tok,
      );
    } finally {
      h.knex.removeListener('query', onQuery);
    }
    expect(r.body.errors).toBeUndefined();
    const stats = Object.fromEntries(r.body.data.stations.edges.map((e: { node: { code: string; stats: unknown } }) => [e.node.code, e.node.stats]));
    expect(stats).toEqual({
      'CS-A': {
        chargersTotal: 3,
        chargersOnline: 2,
        onlineRate: 2 / 3,
        connectorsByStatus: [
          { status: 'Available', count: 1 },
          { status: 'Charging', count: 1 },
          { status: 'Faulted', count: 1 },
          { status: 'Offline', count: 1 },
        ],
      },
      'CS-B': { chargersTotal: 7, chargersOnline: 4, onlineRate: 4 / 7, connectorsByStatus: [{ status: 'Available', count: 7 }] },
      // its only charger is retired: nothing counts
      'CS-C': { chargersTotal: 0, chargersOnline: 0, onlineRate: null, connectorsByStatus: [] },
    });
    // three stations, one batch: two grouped queries in all
    expect(grouped).toHaveLength(2);
  });

  it('retired connectors leave the counts', async () => {
    const other = randomUUID();
    await seed(other, [
      { code: 'R', chargers: [{ code: `R-${randomUUID().slice(0, 6)}`, online: true, connectors: ['Available', { status: 'Available', retired: true }] }] },
    ]);
    const r = await h.gql(
      '{ stations { edges { node { stats { connectorsByStatus { status count } } chargers { connectors { connectorNo } } } } } }',
      await h.token(other),
    );
    expect(r.body.data.stations.edges[0].node).toEqual({
      stats: { connectorsByStatus: [{ status: 'Available', count: 1 }] },
      chargers: [{ connectors: [{ connectorNo: 1 }] }],
    });
  });

  it("connector status history: newest first, limited per connector, batched, and only the tenant's own", async () => {
    const other = randomUUID();
    const code = `H-${randomUUID().slice(0, 6)}`;
    await seed(other, [{ code: 'H', chargers: [{ code, connectors: ['Available', 'Available'] }] }]);
    await withTenant(h.knex, other, async (trx) => {
      const conns = await trx('connectors')
        .join('chargers', 'chargers.id', 'connectors.charger_id')
        .where('chargers.code', code)
        .orderBy('connector_no')
        .select('connectors.id');
      const base = Date.parse('2026-01-01T00:00:00Z');
      for (const [i, status] of ['Available', 'Preparing', 'Charging', 'Finishing'].entries()) {
        for (const c of conns) {
          await trx('connector_status_history').insert({
            tenant_id: other,
            connector_id: c.id,
            event_id: randomUUID(),
            status,
            occurred_at: new Date(base + i * 60_000),
          });
        }
      }
    });
    const Q = `{ chargerByCode(code: "${code}") { connectors { connectorNo statusHistory(last: 2) { status occurredAt } } } }`;
    const r = await h.gql(Q, await h.token(other));
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data.chargerByCode.connectors).toEqual(
      [1, 2].map((connectorNo) => ({
        connectorNo,
        statusHistory: [
          { status: 'Finishing', occurredAt: '2026-01-01T00:03:00.000Z' },
          { status: 'Charging', occurredAt: '2026-01-01T00:02:00.000Z' },
        ],
      })),
    );
    const bad = await h.gql(`{ chargerByCode(code: "${code}") { connectors { statusHistory(last: 0) { status } } } }`, await h.token(other));
    expect(bad.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    const foreign = await h.gql(Q, await h.token(t));
    expect(foreign.body.data.chargerByCode).toBeNull();
  });
});
