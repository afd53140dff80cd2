import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { createKnex, Knex, PgAuditReader } from '@evcs/platform';
import { createTestDatabase, TestDatabase } from '@evcs/testkit';
import { migrations } from '../src';

/** The move of assets.audit_log onto the platform audit trail keeps what was recorded. */
describe('assets audit_log → audit_entries migration (real Postgres)', () => {
  let db: TestDatabase;
  let owner: Knex;
  let app: Knex;
  const config = { directory: path.resolve(migrations.directory), schemaName: 'assets', tableName: 'knex_migrations', loadExtensions: ['.js'] };

  beforeAll(async () => {
    db = await createTestDatabase([migrations]);
    owner = createKnex({ connectionString: db.ownerUrl, schema: 'assets', pool: { max: 1 } });
    app = createKnex({ connectionString: db.appUrl, schema: 'assets', pool: { max: 1 } });
  });
  afterAll(async () => {
    await app?.destroy();
    await owner?.destroy();
    await db?.drop();
  });

  it('copies every audit_log entry, in order, with actor kind and target split', async () => {
    // this migration undone by name: a later one (or one of the same date) may be the last
    await owner.migrate.down({ ...config, name: '20261206000001_audit_entries.js' });
    const tenant = randomUUID();
    const user = randomUUID();
    const charger = randomUUID();
    await owner.raw('alter table assets.audit_log no force row level security');
    await owner('assets.audit_log').insert([
      {
        tenant_id: tenant,
        actor: user,
        action: 'CHARGER_CREDENTIAL_SET',
        target: `charger:${charger}`,
        after: JSON.stringify({ hasPassword: true }),
        request_id: 'r-1',
      },
      {
        tenant_id: tenant,
        actor: 'protocol-bridge',
        action: 'CHARGER_LOGIN_REFUSED',
        target: `charger:${charger}`,
        after: JSON.stringify({ reason: 'bad_password' }),
      },
      { tenant_id: tenant, actor: user, action: 'CHARGER_SECURITY_POLICY_CHANGED', target: 'charger-security-policy', before: '{}', after: '{}' },
    ]);
    await owner.raw('alter table assets.audit_log force row level security');
    await owner.migrate.latest(config);
    const entries = await new PgAuditReader(app).entries(tenant, {}, 10, null);
    expect(entries.map((e) => [e.action, e.actorType, e.actorId, e.targetType, e.targetId])).toEqual([
      ['CHARGER_SECURITY_POLICY_CHANGED', 'USER', user, 'charger-security-policy', tenant],
      ['CHARGER_LOGIN_REFUSED', 'SERVICE', 'protocol-bridge', 'charger', charger],
      ['CHARGER_CREDENTIAL_SET', 'USER', user, 'charger', charger],
    ]);
    expect(entries[2]).toMatchObject({ requestId: 'r-1', after: { hasPassword: true } });
  });
});
