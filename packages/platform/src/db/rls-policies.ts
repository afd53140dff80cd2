import type { Knex } from 'knex';
import { TENANT_SETTING, VISIBLE_TENANTS_SETTING } from './tenant-scope';

/** SQL fragment for a standard tenant-isolation policy on `table` (used by migrations). */
export function tenantRlsStatements(qualifiedTable: string): string[] {
  const policy = `${qualifiedTable.replace(/\W/g, '_')}_tenant_isolation`;
  return [
    `alter table ${qualifiedTable} enable row level security`,
    `alter table ${qualifiedTable} force row level security`,
    `drop policy if exists ${policy} on ${qualifiedTable}`,
    // One "= any(array)" rather than "own or any(visible)": an OR here makes the planner
    // build bitmap ORs instead of walking the tenant-first index in order (see docs/orders.md).
    `create policy ${policy} on ${qualifiedTable}
       using (tenant_id = any(string_to_array(concat_ws(',', nullif(current_setting('${TENANT_SETTING}', true), ''),
                                                          nullif(current_setting('${VISIBLE_TENANTS_SETTING}', true), '')), ',')::uuid[]))
       with check (tenant_id = nullif(current_setting('${TENANT_SETTING}', true), '')::uuid)`,
  ];
}

/** (Re)apply the standard tenant policy to every table of `schema` (migrations). */
export async function applyTenantPolicies(knex: Knex, schema: string): Promise<void> {
  const tables = await knex.raw<{ rows: { tablename: string }[] }>(
    "select tablename from pg_tables where schemaname = ? and tablename not like 'knex_migrations%'",
    [schema],
  );
  for (const { tablename } of tables.rows) {
    for (const stmt of tenantRlsStatements(`${schema}.${tablename}`)) await knex.raw(stmt);
  }
}

/**
 * Re-apply the standard tenant policy (in its current form) to every table of
 * `schema` that has one — tables with their own policies are left alone. For
 * migrations that bring existing databases up to a new policy form.
 */
export async function reapplyTenantPolicies(knex: Knex, schema: string): Promise<void> {
  const { rows } = await knex.raw<{ rows: { tablename: string }[] }>(
    "select distinct tablename from pg_policies where schemaname = ? and policyname like '%\\_tenant_isolation'",
    [schema],
  );
  for (const { tablename } of rows) {
    for (const stmt of tenantRlsStatements(`${schema}.${tablename}`)) await knex.raw(stmt);
  }
}
