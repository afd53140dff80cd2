import { randomUUID } from 'node:crypto';
import { createKnex, Knex } from '@evcs/platform';
import { auditLogQuery, createTestDatabase, failInsertsFor, TestDatabase } from '@evcs/testkit';
import { migrations } from '../src';
import { aTariff, EXAMPLE_SEGMENTS } from './builders';
import { BIND, CREATE, Harness, REVISE, startTariffs } from './harness';

const LOG = auditLogQuery('tariffAuditLog');
const UNBIND = `mutation($c: ID!) { unbindChargerTariff(chargerId: $c) { binding { chargerId } userErrors { code } } }`;
const RETIRE = `mutation($p: ID!) { retireTariffPlan(planId: $p) { plan { status } userErrors { code } } }`;
const PLANS = `{ tariffPlans(tenantLevel: true, includeRetired: true) { id } }`;

/** Tariff changes and their audit entries: one transaction; the log behind audit:read. */
describe('tariffs audit trail (real Postgres, real HTTP)', () => {
  let db: TestDatabase;
  let knex: Knex;
  let h: Harness;
  const tenant = randomUUID();
  const station = randomUUID();

  beforeAll(async () => {
    db = await createTestDatabase([migrations]);
    knex = createKnex({ connectionString: db.appUrl, schema: 'tariffs' });
    h = await startTariffs(knex);
  });
  afterAll(async () => {
    await h?.stop();
    await knex?.destroy();
    await db?.drop();
  });

  const auditor = (t = tenant) => h.token(t, { subject: 'auditor', permissions: ['tariff:read', 'audit:read'] });
  const log = async (filter: Record<string, unknown> = {}, t = tenant) => {
    const r = await h.gql(LOG, await auditor(t), { filter, first: 50 });
    expect(r.body.errors).toBeUndefined();
    return r.body.data.tariffAuditLog.edges.map((e: { node: Record<string, unknown> }) => e.node) as Record<string, any>[];
  };

  it('records plan creation, revision, binding, unbinding and retirement with actor, request id and client address', async () => {
    const admin = await h.token(tenant, { subject: 'admin-1' }, { requestId: 'req-audit-1', clientIp: '198.51.100.4' });
    const created = await h.gql(CREATE, admin, { input: aTariff({ stationId: station, name: 'Audited' }) });
    const planId = created.body.data.createTariffPlan.plan.id as string;
    const revised = await h.gql(REVISE, admin, { input: { planId, segments: EXAMPLE_SEGMENTS } });
    expect(revised.body.data.reviseTariffPlan.userErrors).toEqual([]);
    const chargerId = randomUUID();
    const bound = await h.gql(BIND, admin, { input: h.registered({ chargerId, planId, stationId: station, protocol: 'OCPP16' as const }) });
    expect(bound.body.data.bindChargerTariff.userErrors).toEqual([]);
    expect((await h.gql(UNBIND, admin, { c: chargerId })).body.data.unbindChargerTariff.userErrors).toEqual([]);
    expect((await h.gql(RETIRE, admin, { p: planId })).body.data.retireTariffPlan.plan.status).toBe('RETIRED');

    const entries = await log();
    expect(entries.map((e) => e.action)).toEqual([
      'TARIFF_PLAN_RETIRED',
      'CHARGER_TARIFF_UNBOUND',
      'CHARGER_TARIFF_BOUND',
      'TARIFF_PLAN_REVISED',
      'TARIFF_PLAN_CREATED',
    ]);
    for (const e of entries) expect(e).toMatchObject({ actorType: 'USER', actorId: 'admin-1', requestId: 'req-audit-1', clientAddress: '198.51.100.4' });
    const createdEntry = entries[4];
    expect(createdEntry).toMatchObject({
      targetType: 'tariff-plan',
      targetId: planId,
      before: null,
      after: { name: 'Audited', stationId: station, version: 1 },
    });
    expect(entries[3]).toMatchObject({ before: { version: 1 }, after: { version: 2 } });
    expect(entries[2]).toMatchObject({ targetType: 'charger', targetId: chargerId, before: null, after: { planId, stationId: station, protocol: 'OCPP16' } });
    expect(entries[1]).toMatchObject({ before: { planId }, after: null });
    expect(entries[0]).toMatchObject({ before: { status: 'ACTIVE' }, after: { status: 'RETIRED' } });

    expect((await log({ action: 'TARIFF_PLAN_REVISED' })).map((e) => e.targetId)).toEqual([planId]);
    expect((await log({ targetType: 'charger', targetId: chargerId })).map((e) => e.action)).toEqual(['CHARGER_TARIFF_UNBOUND', 'CHARGER_TARIFF_BOUND']);
    const page = await h.gql(LOG, await auditor(), { first: 2 });
    const next = await h.gql(LOG, await auditor(), { first: 10, after: page.body.data.tariffAuditLog.pageInfo.endCursor });
    expect(next.body.data.tariffAuditLog.edges.map((e: { node: { action: string } }) => e.node.action)).toEqual([
      'CHARGER_TARIFF_BOUND',
      'TARIFF_PLAN_REVISED',
      'TARIFF_PLAN_CREATED',
    ]);
    // Another tenant's auditor sees none of it.
    expect(await log({}, randomUUID())).toEqual([]);
  });

  it('needs audit:read: tariff:write alone is FORBIDDEN', async () => {
    const r = await h.gql(LOG, await h.token(tenant), {});
    expect(r.body.data).toBeNull();
    expect(r.body.errors[0].extensions.code).toBe('FORBIDDEN');
  });

  it('a change commits only with its audit entry, and the entry only with the change', async () => {
    // The audit entry cannot be written: the plan is not created either.
    const noAudit = randomUUID();
    await failInsertsFor(db, 'tariffs.audit_entries', noAudit);
    const r1 = await h.gql(CREATE, await h.token(noAudit), { input: aTariff({ name: 'Unaudited' }) });
    expect(r1.body.errors[0].extensions.code).toBe('INTERNAL_SERVER_ERROR');
    expect((await h.gql(PLANS, await h.token(noAudit))).body.data.tariffPlans).toEqual([]);
    // A later step of the change fails (its outbox event): the audit entry rolls back with it.
    const noEvent = randomUUID();
    await failInsertsFor(db, 'tariffs.outbox', noEvent);
    const r2 = await h.gql(CREATE, await h.token(noEvent), { input: aTariff({ name: 'Unannounced' }) });
    expect(r2.body.errors[0].extensions.code).toBe('INTERNAL_SERVER_ERROR');
    expect((await h.gql(PLANS, await h.token(noEvent))).body.data.tariffPlans).toEqual([]);
    expect(await log({}, noEvent)).toEqual([]);
  });
});
