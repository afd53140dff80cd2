import { randomUUID } from 'node:crypto';
import {
  createKnex,
  createLogger,
  generateSigningKey,
  Knex,
  listen,
  SubgraphServer,
  TokenIssuer,
  TokenVerifier,
  withTenant,
  formatMoney,
  money,
} from '@evcs/platform';
import { createTestDatabase, TestDatabase } from '@evcs/testkit';
import { createOrdersServer, createReconciliationService, migrations } from '../src';
import type { Bill, Pricer, PricingRequest } from '../src/domain/ports';

/** 1.00 per kWh in integer fen; the real engine is the tariffs service's, tested there. */
class PerKwhPricer implements Pricer {
  calls = 0;
  async price(req: PricingRequest): Promise<Bill> {
    this.calls++;
    const fen = Math.round(req.energyWh / 10);
    const total = money(fen, 'CNY');
    return {
      currency: 'CNY',
      planId: 'p',
      source: 'TENANT',
      planVersions: [1],
      timezone: 'Asia/Shanghai',
      electricityAmount: total,
      serviceAmount: money(0, 'CNY'),
      totalExact: formatMoney(total),
      total,
      items: [],
    };
  }
}

describe('daily reconciliation (real Postgres)', () => {
  let db: TestDatabase;
  let knex: Knex;
  const pricer = new PerKwhPricer();
  const T = randomUUID();
  const charger = randomUUID();
  const now = new Date('2026-11-24T12:00:00Z');
  const at = (iso: string) => new Date(iso);

  async function order(o: Partial<Record<string, unknown>> & { state: string; started_at: Date }): Promise<string> {
    const id = randomUUID();
    await withTenant(knex, T, (trx) =>
      trx('orders.orders').insert({
        id,
        tenant_id: T,
        charger_id: charger,
        charger_code: 'REC-CP',
        connector_no: 1,
        origin: 'CHARGER',
        transaction_id: randomUUID().slice(0, 8),
        currency: 'CNY',
        bill: JSON.stringify({ total: { minor: 0, currency: 'CNY' }, items: [] }),
        meter_start_wh: 0,
        ...o,
      }),
    );
    return id;
  }

  beforeAll(async () => {
    db = await createTestDatabase([migrations]);
    knex = createKnex({ connectionString: db.appUrl, schema: 'orders', pool: { max: 6 } });
  });
  afterAll(async () => {
    await knex?.destroy();
    await db?.drop();
  });

  it('finds each kind of discrepancy in the business day of its time zone, once, however often it runs', async () => {
    const day = { started_at: at('2026-11-20T02:00:00Z'), stopped_at: at('2026-11-20T03:00:00Z') }; // 10:00–11:00 in Shanghai
    const ok = await order({
      ...day,
      state: 'PAID',
      energy_wh: 10_000,
      meter_stop_wh: 10_000,
      amount: '10.00',
      paid_at: at('2026-11-20T04:00:00Z'),
      transaction_id: 'TX-OK',
    });
    const open = await order({ started_at: at('2026-11-19T16:30:00Z'), state: 'CHARGING' }); // 00:30 on the 20th in Shanghai
    const zero = await order({ ...day, state: 'COMPLETED', energy_wh: 5000, meter_stop_wh: 5000, amount: '0.00' });
    const wrong = await order({ ...day, state: 'COMPLETED', energy_wh: 2000, meter_stop_wh: 2000, amount: '9.99' });
    // the pile billed 12.00 for what the platform billed 10.00: it holds another billing model
    const pileDiff = await order({
      ...day,
      state: 'PAID',
      energy_wh: 10_000,
      meter_stop_wh: 10_000,
      amount: '10.00',
      paid_at: at('2026-11-20T04:00:00Z'),
      transaction_id: 'TX-PILE',
      bill: JSON.stringify({ total: { minor: 1000, currency: 'CNY' }, totalExact: '10.0000', items: [] }),
    });
    const paidOpen = await order({ ...day, stopped_at: null, state: 'CHARGING', paid_at: at('2026-11-20T05:00:00Z'), paid_amount: '5.00' });
    await order({ started_at: at('2026-11-20T16:30:00Z'), state: 'CHARGING' }); // the 21st in Shanghai: another day
    await withTenant(knex, T, (trx) =>
      trx('orders.charger_records').insert([
        {
          tenant_id: T,
          charger_code: 'REC-CP',
          transaction_id: 'TX-OK',
          started_at: day.started_at,
          ended_at: day.stopped_at,
          energy_wh: 10_500,
          amount: '10.5000',
        },
        {
          tenant_id: T,
          charger_code: 'REC-CP',
          transaction_id: 'TX-PILE',
          started_at: day.started_at,
          ended_at: day.stopped_at,
          energy_wh: 10_000,
          amount: '12.0000',
        },
        {
          tenant_id: T,
          charger_code: 'REC-CP',
          transaction_id: 'Y-404',
          started_at: day.started_at,
          ended_at: day.stopped_at,
          energy_wh: 7000,
          amount: '7.0000',
        },
      ]),
    );

    const recon = createReconciliationService({ knex, pricer, clock: { now: () => now } }, { batchSize: 2 });
    const run = await recon.run(T, '2026-11-20', 'Asia/Shanghai');
    if (run === 'busy') throw new Error('busy');
    expect(run).toMatchObject({ state: 'COMPLETED', phase: 'DONE', processed: 6 + 3 });

    const found = await withTenant(knex, T, (trx) =>
      trx('orders.discrepancies').select('kind', 'order_id', 'transaction_id', 'expected', 'actual').orderBy(['kind', 'subject']),
    );
    const kinds = (id: string | null, tx?: string) =>
      found
        .filter((d: any) => (id ? d.order_id === id : d.transaction_id === tx))
        .map((d: any) => d.kind)
        .sort();
    expect(kinds(ok)).toEqual(['ENERGY_DIFFERS_FROM_CHARGER']);
    expect(kinds(open)).toEqual(['MISSING_END']);
    // nothing to pay, so not overdue; but energy was delivered for free, and re-pricing disagrees
    expect(kinds(zero)).toEqual(['AMOUNT_DIFFERS_FROM_REPRICING', 'NON_POSITIVE_AMOUNT']);
    expect(kinds(wrong)).toEqual(['AMOUNT_DIFFERS_FROM_REPRICING', 'COMPLETED_UNPAID']);
    expect(found.find((d: any) => d.order_id === wrong && d.kind === 'AMOUNT_DIFFERS_FROM_REPRICING')).toMatchObject({ expected: '2.00', actual: '9.99' });
    expect(kinds(paidOpen)).toEqual(['MISSING_END', 'PAID_BUT_NOT_COMPLETED']);
    expect(kinds(null, 'Y-404')).toEqual(['CHARGER_RECORD_WITHOUT_ORDER']);
    expect(kinds(pileDiff)).toEqual(['AMOUNT_DIFFERS_FROM_CHARGER']);
    expect(found.find((d: any) => d.order_id === pileDiff)).toMatchObject({ expected: '12.0000', actual: '10.0000' });
    expect(run.discrepancies).toBe(found.length);

    // again: the completed run is returned as it is; forcing a fresh run of the day finds nothing new
    const again = await recon.run(T, '2026-11-20', 'Asia/Shanghai');
    expect(again).toMatchObject({ id: run.id, state: 'COMPLETED' });
    await withTenant(knex, T, (trx) => trx('orders.reconciliation_runs').where({ id: run.id }).update({ state: 'FAILED', phase: 'ORDERS', checkpoint: null }));
    await recon.run(T, '2026-11-20', 'Asia/Shanghai');
    const after = await withTenant(knex, T, (trx) => trx('orders.discrepancies').count<{ n: string }[]>({ n: '*' }));
    expect(Number(after[0].n)).toBe(found.length);
  });

  it('a run that crashes mid-way resumes from its checkpoint: nothing lost, nothing twice', async () => {
    const date = '2026-11-21';
    for (let i = 0; i < 10; i++) await order({ started_at: at(`2026-11-21T0${i}:00:00Z`), state: 'CHARGING' });
    const recon = createReconciliationService({ knex, pricer, clock: { now: () => now } }, { batchSize: 3 });
    const seen: number[] = [];
    await expect(
      recon.run(T, date, 'Asia/Shanghai', {
        afterBatch: async (processed) => {
          seen.push(processed);
          if (processed >= 6) throw new Error('worker killed');
        },
      }),
    ).rejects.toThrow('worker killed');
    expect(seen).toEqual([3, 6]);
    const failed = await withTenant(knex, T, (trx) => trx('orders.reconciliation_runs').where({ tenant_id: T, business_date: date }).first());
    expect(failed).toMatchObject({ state: 'FAILED', processed: 6 });
    const resumed = await recon.run(T, date, 'Asia/Shanghai');
    if (resumed === 'busy') throw new Error('busy');
    // Shanghai's 21st holds the 16:30Z order of the previous test too
    expect(resumed).toMatchObject({ state: 'COMPLETED', processed: 11 });
    const missing = await withTenant(knex, T, (trx) =>
      trx('orders.discrepancies').where({ business_date: date, kind: 'MISSING_END' }).count<{ n: string }[]>({ n: '*' }),
    );
    expect(Number(missing[0].n)).toBe(11);
  });

  it('a run in progress elsewhere is not taken over until its heartbeat is stale', async () => {
    await withTenant(knex, T, (trx) =>
      trx('orders.reconciliation_runs').insert({ tenant_id: T, business_date: '2026-11-22', timezone: 'Asia/Shanghai', state: 'RUNNING' }),
    );
    const recon = createReconciliationService({ knex, pricer, clock: { now: () => new Date() } });
    expect(await recon.run(T, '2026-11-22', 'Asia/Shanghai')).toBe('busy');
    const later = createReconciliationService({ knex, pricer, clock: { now: () => new Date(Date.now() + 10 * 60_000) } });
    expect(await later.run(T, '2026-11-22', 'Asia/Shanghai')).toMatchObject({ state: 'COMPLETED' });
  });

  describe('through GraphQL', () => {
    let srv: SubgraphServer;
    let url: string;
    let router: TokenIssuer;

    beforeAll(async () => {
      const key = await generateSigningKey('router-k');
      router = new TokenIssuer(key, 'evcs-router');
      srv = await createOrdersServer({
        knex,
        verifier: new TokenVerifier({ keys: [key.publicJwk] }, ['evcs-router']),
        logger: createLogger('orders-test', { level: 'silent' }),
        pricer,
        chargers: { byId: async () => null, byCode: async () => null },
        clock: { now: () => now },
      });
      url = `http://127.0.0.1:${await listen(srv.server, 0)}/graphql`;
    });
    afterAll(async () => srv?.stop());

    const gql = async (query: string, variables: Record<string, unknown>, tenantId = T, permissions = ['order:read', 'order:write']) => {
      const token = await router.issue({
        subject: 'ops-1',
        kind: 'user',
        tenantId,
        roles: ['OPERATOR_ADMIN'],
        permissions,
        dataScope: 'TENANT',
        visibleTenantIds: [tenantId],
      });
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
      });
      return (await res.json()) as any;
    };

    it('lists discrepancies with totals by kind and state, and resolves one with a note', async () => {
      const Q =
        'query($f: DiscrepancyFilter) { discrepancies(filter: $f, first: 2) { total totals { kind state count } hasNextPage edges { cursor node { id kind state } } } }';
      const r = await gql(Q, { f: { date: '2026-11-20' } });
      expect(r.errors).toBeUndefined();
      const c = r.data.discrepancies;
      expect(c.total).toBeGreaterThan(2);
      expect(c.hasNextPage).toBe(true);
      expect(c.totals.find((t: any) => t.kind === 'CHARGER_RECORD_WITHOUT_ORDER')).toEqual({ kind: 'CHARGER_RECORD_WITHOUT_ORDER', state: 'OPEN', count: 1 });
      const id = c.edges[0].node.id;
      const res = await gql(
        'mutation($id: ID!, $n: String!) { resolveDiscrepancy(id: $id, note: $n) { discrepancy { state note resolvedBy } userErrors { code } } }',
        { id, n: 'checked with the site' },
      );
      expect(res.data.resolveDiscrepancy).toEqual({ discrepancy: { state: 'RESOLVED', note: 'checked with the site', resolvedBy: 'ops-1' }, userErrors: [] });
      const twice = await gql('mutation($id: ID!, $n: String!) { resolveDiscrepancy(id: $id, note: $n) { discrepancy { state } userErrors { code } } }', {
        id,
        n: 'again',
      });
      expect(twice.data.resolveDiscrepancy.userErrors).toEqual([{ code: 'NOT_FOUND' }]);
      const other = await gql(Q, { f: { date: '2026-11-20' } }, randomUUID());
      expect(other.data.discrepancies.total).toBe(0);
    });

    it('pages discrepancies both ways through the same rows, pageInfo beside the old fields', async () => {
      const F = 'edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } hasNextPage endCursor';
      const fwd: string[] = [];
      let after: string | null = null;
      for (;;) {
        const r = await gql(`query($a: String) { discrepancies(first: 2, after: $a) { ${F} } }`, { a: after });
        expect(r.errors).toBeUndefined();
        const c = r.data.discrepancies;
        expect([c.hasNextPage, c.endCursor]).toEqual([c.pageInfo.hasNextPage, c.pageInfo.endCursor]);
        fwd.push(...c.edges.map((e: any) => e.node.id));
        if (!c.pageInfo.hasNextPage) break;
        after = c.pageInfo.endCursor;
      }
      const back: string[] = [];
      let before: string | null = null;
      for (;;) {
        const r = await gql(`query($b: String) { discrepancies(last: 2, before: $b) { ${F} } }`, { b: before });
        const c = r.data.discrepancies;
        back.unshift(...c.edges.map((e: any) => e.node.id));
        if (!c.pageInfo.hasPreviousPage) break;
        before = c.pageInfo.startCursor;
      }
      expect(fwd.length).toBeGreaterThan(2);
      expect(back).toEqual(fwd);
      const raw = await gql('query($a: String) { discrepancies(after: $a) { total } }', { a: fwd[0] });
      expect(raw.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    });

    it('reconciliation runs: the array as before, and a connection of the same runs either way', async () => {
      await gql('mutation { runReconciliation(date: "2026-11-24", timezone: "Asia/Shanghai") { userErrors { code } } }', {});
      const list = (await gql('{ reconciliationRuns { businessDate } }', {})).data.reconciliationRuns.map((r: any) => r.businessDate);
      expect(list.length).toBeGreaterThanOrEqual(2);
      const F = 'edges { node { businessDate } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }';
      const first = (await gql(`{ reconciliationRunsConnection(first: 1) { ${F} } }`, {})).data.reconciliationRunsConnection;
      expect(first.edges.map((e: any) => e.node.businessDate)).toEqual(list.slice(0, 1));
      expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
      const rest = (await gql(`query($a: String) { reconciliationRunsConnection(first: 366, after: $a) { ${F} } }`, { a: first.pageInfo.endCursor })).data
        .reconciliationRunsConnection;
      expect([...first.edges, ...rest.edges].map((e: any) => e.node.businessDate)).toEqual(list);
      const last = (await gql(`{ reconciliationRunsConnection(last: 1) { ${F} } }`, {})).data.reconciliationRunsConnection;
      expect(last.edges.map((e: any) => e.node.businessDate)).toEqual(list.slice(-1));
      expect(last.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
      const tooMany = await gql('{ reconciliationRunsConnection(first: 367) { edges { cursor } } }', {});
      expect(tooMany.errors[0]).toMatchObject({
        message: expect.stringContaining('`first` must be between 1 and 366'),
        extensions: { code: 'BAD_USER_INPUT' },
      });
    });

    it('runReconciliation validates its input and returns the run', async () => {
      const M =
        'mutation($d: String!, $tz: String!) { runReconciliation(date: $d, timezone: $tz) { run { businessDate state processed } userErrors { code field } } }';
      expect((await gql(M, { d: '20-11-2026', tz: 'Asia/Shanghai' })).data.runReconciliation.userErrors).toEqual([{ code: 'INVALID_INPUT', field: 'date' }]);
      expect((await gql(M, { d: '2026-11-23', tz: 'Mars/Olympus' })).data.runReconciliation.userErrors).toEqual([{ code: 'INVALID_INPUT', field: 'timezone' }]);
      const ok = await gql(M, { d: '2026-11-23', tz: 'Asia/Shanghai' });
      expect(ok.data.runReconciliation).toEqual({ run: { businessDate: '2026-11-23', state: 'COMPLETED', processed: 0 }, userErrors: [] });
      const denied = await gql(M, { d: '2026-11-23', tz: 'Asia/Shanghai' }, T, ['order:read']);
      expect(denied.errors[0].extensions.code).toBe('FORBIDDEN');
    });
  });
});
