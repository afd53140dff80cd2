import { randomBytes } from 'node:crypto';
import knexFactory, { Knex } from 'knex';
import { DEFAULT_ROLES, dropDatabase, ensureDatabase, grantExecuteToAppRole, withDatabase } from '../src';

const superuser = process.env.PG_SUPERUSER_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** grantExecuteToAppRole against real Postgres, with the platform's owner and application roles. */
describe('grantExecuteToAppRole', () => {
  const suffix = randomBytes(4).toString('hex');
  const database = `evcs_t_grants_${suffix}`;
  // Roles are cluster-wide: a throwaway one, dropped afterwards.
  const stranger = `evcs_t_stranger_${suffix}`;
  let admin: Knex;
  let owner: Knex;
  let app: Knex;
  let other: Knex;
  const connect = (user: string) => knexFactory({ client: 'pg', connection: withDatabase(superuser, database, user), pool: { min: 0, max: 1 } });

  beforeAll(async () => {
    await ensureDatabase(superuser, database);
    admin = knexFactory({ client: 'pg', connection: superuser, pool: { min: 0, max: 1 } });
    await admin.raw(`create role ${stranger} login`);
    owner = connect(DEFAULT_ROLES.owner);
    app = connect(DEFAULT_ROLES.app);
    other = connect(stranger);
    // A schema set up by hand, without migrateSchemas' default privileges: what the
    // helper grants is all the application role gets. The stranger may use the
    // schema, so a refusal below is about EXECUTE alone.
    await owner.raw(`
      create schema g;
      grant usage on schema g to ${DEFAULT_ROLES.app}, ${stranger};
      create table g.secrets (tenant_id uuid not null, value text not null);
      grant select on g.secrets to ${DEFAULT_ROLES.app};
      insert into g.secrets values (gen_random_uuid(), 'a'), (gen_random_uuid(), 'b');
      create function g.count_secrets() returns bigint
        language sql stable security definer set search_path = g, pg_temp
        as $$ select count(*) from g.secrets $$;
      create function g.secret_of(p_n integer, p_at timestamp with time zone) returns text
        language sql stable security definer set search_path = g, pg_temp
        as $$ select value from g.secrets order by value offset p_n limit 1 $$;`);
  });
  afterAll(async () => {
    await Promise.all([owner, app, other].map((k) => k?.destroy()));
    await dropDatabase(superuser, database);
    await admin?.raw(`drop role if exists ${stranger}`);
    await admin?.destroy();
  });

  const call = (k: Knex) => k.raw<{ rows: { n: string }[] }>('select g.count_secrets() as n').then((r) => r.rows[0].n);
  const refused = { code: '42501' }; // insufficient_privilege

  it('before: every role may execute a new function (PUBLIC), the risk the helper removes', async () => {
    await expect(call(other)).resolves.toBe('2');
  });

  it('the application role can execute the functions afterwards, other roles cannot; running it again changes nothing', async () => {
    // As a migration runs it: the owner, in a transaction.
    await owner.transaction((trx) =>
      grantExecuteToAppRole(trx, ['g.count_secrets()', 'g.secret_of(integer, timestamp with time zone)'], { readersOf: 'g.secrets' }),
    );
    await expect(call(app)).resolves.toBe('2');
    await expect(app.raw('select g.secret_of(1, now()) as v').then((r: { rows: { v: string }[] }) => r.rows[0].v)).resolves.toBe('b');
    await expect(call(other)).rejects.toMatchObject(refused);
    await expect(other.raw('select g.secret_of(0, now())')).rejects.toMatchObject(refused);

    await owner.transaction((trx) => grantExecuteToAppRole(trx, ['g.count_secrets()'], { readersOf: 'g.secrets' }));
    await expect(call(app)).resolves.toBe('2');
    await expect(call(other)).rejects.toMatchObject(refused);
  });

  it('refuses what it would have to splice into SQL unchecked', async () => {
    await expect(grantExecuteToAppRole(owner, ['g.count_secrets(); drop table g.secrets; --'], { readersOf: 'g.secrets' })).rejects.toThrow(
      /not a function signature/,
    );
    await expect(grantExecuteToAppRole(owner, ['g.count_secrets()'], { readersOf: 'secrets' })).rejects.toThrow(/schema\.table/);
    await expect(grantExecuteToAppRole(owner, [], { readersOf: 'g.secrets' })).rejects.toThrow(/no functions/);
    await expect(call(app)).resolves.toBe('2');
  });
});
