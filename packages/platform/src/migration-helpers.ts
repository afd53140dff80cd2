import type { Knex } from 'knex';

/*
 * Helpers for subgraph migrations. Row-level security: `tenantRlsStatements`,
 * `applyTenantPolicies` and `reapplyTenantPolicies` (db/rls-policies.ts). SECURITY DEFINER
 * functions: `grantExecuteToAppRole` (below).
 *
 * A migration that has run is history: these helpers are for new migrations;
 * older ones keep the SQL they ran with.
 */

const QUALIFIED = /^([a-z_][a-z0-9_]*)\.([a-z_][a-z0-9_]*)$/;
// schema.name(argument types): what GRANT and REVOKE need to name one overload.
const SIGNATURE = /^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*\([a-z0-9_ ,[\]]*\)$/;

export interface GrantExecuteOptions {
  /**
   * A table (`schema.table`) the application role reads: every role other than
   * the migrating one that has SELECT on it gets EXECUTE. Migrations don't know
   * the application role's name (it is configurable), so it is found by what it
   * was granted.
   */
  readersOf: string;
}

/**
 * Lets the application role, and nobody else, call SECURITY DEFINER functions
 * the migration just created. Such a function runs as its owner, who bypasses
 * row-level security, so the PUBLIC execute Postgres grants every new function
 * is revoked. Default privileges (migrateSchemas) already grant the application
 * role; the explicit grant covers databases whose roles were set up otherwise.
 * Idempotent.
 *
 * @param functions signatures, e.g. `orders.outbox_pending(integer)`
 */
export async function grantExecuteToAppRole(knex: Knex, functions: readonly string[], opts: GrantExecuteOptions): Promise<void> {
  if (functions.length === 0) throw new Error('grantExecuteToAppRole: no functions');
  // Signatures are spliced into the statements (GRANT takes no parameters): only plain ones pass.
  for (const f of functions) if (!SIGNATURE.test(f)) throw new Error(`grantExecuteToAppRole: not a function signature: ${f}`);
  const table = QUALIFIED.exec(opts.readersOf);
  if (!table) throw new Error(`grantExecuteToAppRole: readersOf must be schema.table: ${opts.readersOf}`);
  const list = functions.join(', ');
  await knex.raw(`revoke execute on function ${list} from public`);
  const { rows } = await knex.raw<{ rows: { grantee: string }[] }>(
    `select distinct grantee from information_schema.role_table_grants
      where table_schema = ? and table_name = ? and privilege_type = 'SELECT'
        and grantee <> current_user and grantee <> 'PUBLIC'`,
    [table[1], table[2]],
  );
  for (const { grantee } of rows) await knex.raw(`grant execute on function ${list} to ??`, [grantee]);
}
