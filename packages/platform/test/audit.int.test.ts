import { randomBytes, randomUUID } from 'node:crypto';
import knexFactory, { Knex } from 'knex';
import {
  appendAuditEntry,
  AuditActor,
  auditLogPage,
  createAuditEntries,
  createKnex,
  DEFAULT_ROLES,
  dropDatabase,
  ensureDatabase,
  PgAuditReader,
  withDatabase,
  withTenant,
} from '../src';

const superuser = process.env.PG_SUPERUSER_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const suffix = randomBytes(4).toString('hex');

const actor = (id = randomUUID()): AuditActor => ({ type: 'USER', id, onBehalfOf: null, requestId: `req-${id.slice(0, 8)}`, clientAddress: '203.0.113.7' });

/** The platform audit trail: migration, writer in the change's transaction, reader with filters and cursors. */
describe('platform audit entries (real Postgres)', () => {
  const database = `evcs_t_audit_${suffix}`;
  let owner: Knex;
  let app: Knex;
  const tenantA = randomUUID();
  const tenantB = randomUUID();

  beforeAll(async () => {
    await ensureDatabase(superuser, database);
    owner = knexFactory({ client: 'pg', connection: withDatabase(superuser, database, DEFAULT_ROLES.owner), pool: { min: 0, max: 1 } });
    await owner.raw(`create schema a; grant usage on schema a to ${DEFAULT_ROLES.app};
      alter default privileges in schema a grant select, insert, update, delete on tables to ${DEFAULT_ROLES.app};
      alter default privileges in schema a grant usage, select on sequences to ${DEFAULT_ROLES.app};`);
    await owner.transaction((trx) => createAuditEntries(trx, 'a'));
    // Again: idempotent.
    await owner.transaction((trx) => createAuditEntries(trx, 'a'));
    app = createKnex({ connectionString: withDatabase(superuser, database, DEFAULT_ROLES.app), schema: 'a', pool: { max: 2 } });
  });
  afterAll(async () => {
    await app?.destroy();
    await owner?.destroy();
    await dropDatabase(superuser, database);
  });

  it('an entry exists exactly when its transaction commits, with actor, request id and client address', async () => {
    const who = actor();
    const kept = await withTenant(app, tenantA, (trx) =>
      appendAuditEntry(trx, { tenantId: tenantA, actor: who, action: 'THING_CREATED', target: { type: 'thing', id: 't1' }, after: { name: 'x' } }),
    );
    await withTenant(app, tenantA, async (trx) => {
      await appendAuditEntry(trx, { tenantId: tenantA, actor: who, action: 'THING_CREATED', target: { type: 'thing', id: 't2' } });
      throw new Error('the change failed');
    }).catch(() => undefined);
    const rows = await withTenant(app, tenantA, (trx) => trx('audit_entries').where('actor_id', who.id));
    expect(rows.map((r: { id: string }) => String(r.id))).toEqual([kept]);
    expect(rows[0]).toMatchObject({
      actor_type: 'USER',
      action: 'THING_CREATED',
      target_type: 'thing',
      target_id: 't1',
      after: { name: 'x' },
      request_id: who.requestId,
      client_address: '203.0.113.7',
    });
  });

  it('is append-only: the application role may not update, delete or truncate, and the trigger refuses even the owner', async () => {
    await withTenant(app, tenantA, (trx) =>
      appendAuditEntry(trx, { tenantId: tenantA, actor: actor(), action: 'THING_CREATED', target: { type: 'thing', id: 't3' } }),
    );
    await expect(withTenant(app, tenantA, (trx) => trx('audit_entries').update({ action: 'FORGED' }))).rejects.toMatchObject({ code: '42501' });
    await expect(withTenant(app, tenantA, (trx) => trx('audit_entries').delete())).rejects.toMatchObject({ code: '42501' });
    await expect(withTenant(app, tenantA, (trx) => trx.raw('truncate audit_entries'))).rejects.toMatchObject({ code: '42501' });
    await expect(owner.raw("update a.audit_entries set action = 'FORGED'")).rejects.toThrow(/append-only/);
    await expect(owner.raw('delete from a.audit_entries')).rejects.toThrow(/append-only/);
    await expect(owner.raw('truncate a.audit_entries')).rejects.toThrow(/append-only/);
    const { rows } = await owner.raw<{ rows: { can: boolean }[] }>(
      `select has_table_privilege('${DEFAULT_ROLES.app}', 'a.audit_entries', 'UPDATE') or has_table_privilege('${DEFAULT_ROLES.app}', 'a.audit_entries', 'DELETE') as can`,
    );
    expect(rows[0].can).toBe(false);
  });

  it('rows are tenant-owned: a tenant reads only its own and cannot write another tenant’s', async () => {
    const who = actor();
    await withTenant(app, tenantB, (trx) =>
      appendAuditEntry(trx, { tenantId: tenantB, actor: who, action: 'THING_CREATED', target: { type: 'thing', id: 'b1' } }),
    );
    const reader = new PgAuditReader(app);
    expect(await reader.entries(tenantA, { actorId: who.id }, 10, null)).toEqual([]);
    expect((await reader.entries(tenantB, { actorId: who.id }, 10, null)).map((e) => e.targetId)).toEqual(['b1']);
    // Even without the reader's tenant filter, RLS hides B's rows from A.
    const seenByA = await withTenant(app, tenantA, (trx) => trx('audit_entries').select('tenant_id'));
    expect(seenByA.every((r: { tenant_id: string }) => r.tenant_id === tenantA)).toBe(true);
    await expect(
      withTenant(app, tenantA, (trx) => appendAuditEntry(trx, { tenantId: tenantB, actor: who, action: 'THING_CREATED', target: { type: 'thing', id: 'b2' } })),
    ).rejects.toMatchObject({ code: '42501' });
  });

  it('pages newest first with the platform cursor, both ways, narrowed by action, target, actor and time', async () => {
    const tenant = randomUUID();
    const who = actor();
    const other = actor();
    const start = new Date(Date.now() - 1000);
    for (let i = 0; i < 7; i++) {
      await withTenant(app, tenant, (trx) =>
        appendAuditEntry(trx, {
          tenantId: tenant,
          actor: i % 2 ? other : who,
          action: i < 5 ? 'THING_CREATED' : 'THING_RETIRED',
          target: { type: 'thing', id: `p${i}` },
        }),
      );
    }
    const reader = new PgAuditReader(app);
    const first = await auditLogPage(reader, tenant, {}, { first: 3 });
    expect(first.edges.map((e) => e.node.targetId)).toEqual(['p6', 'p5', 'p4']);
    expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const second = await auditLogPage(reader, tenant, {}, { first: 3, after: first.pageInfo.endCursor });
    expect(second.edges.map((e) => e.node.targetId)).toEqual(['p3', 'p2', 'p1']);
    const last = await auditLogPage(reader, tenant, {}, { first: 3, after: second.pageInfo.endCursor });
    expect(last.edges.map((e) => e.node.targetId)).toEqual(['p0']);
    expect(last.pageInfo.hasNextPage).toBe(false);

    // backwards: from the oldest end, and back from a page towards the newer entries, in list order
    const oldest = await auditLogPage(reader, tenant, {}, { last: 2 });
    expect(oldest.edges.map((e) => e.node.targetId)).toEqual(['p1', 'p0']);
    expect(oldest.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
    const back = await auditLogPage(reader, tenant, {}, { last: 3, before: second.pageInfo.startCursor });
    expect(back.edges.map((e) => e.node.targetId)).toEqual(['p6', 'p5', 'p4']);
    expect(back.pageInfo).toMatchObject({ hasPreviousPage: false, hasNextPage: true });
    const narrowedBack = await auditLogPage(reader, tenant, { actorId: other.id }, { last: 1, before: oldest.pageInfo.startCursor });
    expect(narrowedBack.edges.map((e) => e.node.targetId)).toEqual(['p3']);

    const ids = async (f: Parameters<typeof auditLogPage>[2]) => (await auditLogPage(reader, tenant, f, { first: 50 })).edges.map((e) => e.node.targetId);
    expect(await ids({ action: 'THING_RETIRED' })).toEqual(['p6', 'p5']);
    expect(await ids({ targetType: 'thing', targetId: 'p2' })).toEqual(['p2']);
    expect(await ids({ actorId: other.id })).toEqual(['p5', 'p3', 'p1']);
    expect(await ids({ from: start, to: new Date(Date.now() + 60_000) })).toHaveLength(7);
    expect(await ids({ to: start })).toEqual([]);
    await expect(auditLogPage(reader, tenant, {}, { first: 3, after: 'not-a-cursor' })).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    await expect(auditLogPage(reader, tenant, {}, { first: 0 })).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    await expect(auditLogPage(reader, tenant, {}, { first: 3, last: 3 })).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
  });
});
