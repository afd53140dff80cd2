import { createKnex, type Knex } from '@evcs/platform';
import { createTestDatabase, type TestDatabase } from '@evcs/testkit';
import { ALL_MIGRATIONS } from '../src/database';

jest.setTimeout(120_000);

/**
 * A SECURITY DEFINER function runs as its owner, who bypasses row-level security:
 * whoever may execute it reads past every tenant's policy. Postgres grants EXECUTE
 * on every new function to PUBLIC, so each one must have that revoked. This lists
 * them all, in every schema the platform migrates, rather than naming the known ones.
 */
describe('SECURITY DEFINER functions', () => {
  let db: TestDatabase;
  let owner: Knex;

  beforeAll(async () => {
    db = await createTestDatabase(ALL_MIGRATIONS);
    owner = createKnex({ connectionString: db.ownerUrl, schema: 'public', pool: { max: 1 } });
  });
  afterAll(async () => {
    await owner?.destroy();
    await db?.drop();
  });

  it('none is executable by PUBLIC, in any schema', async () => {
    const { rows } = await owner.raw<{ rows: { fn: string; public_can: boolean }[] }>(`
      select format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)) as fn,
             -- a null ACL is the default one, which includes PUBLIC's EXECUTE
             (p.proacl is null or exists (select 1 from aclexplode(p.proacl) a where a.grantee = 0 and a.privilege_type = 'EXECUTE')) as public_can
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where p.prosecdef and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%'
       order by 1`);
    // the list is not empty (the query finds what it is meant to), and resolve_charger_registration is among them
    expect(rows.map((r) => r.fn)).toContain('assets.resolve_charger_registration(p_code text)');
    expect(rows.filter((r) => r.public_can).map((r) => r.fn)).toEqual([]);
  });
});
