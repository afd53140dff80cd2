import knexFactory, { Knex } from 'knex';
import { AppError, ErrorCodes, TenantContextMissingError } from './errors';

export type { Knex };

export interface DbConfig {
  connectionString: string;
  /** Postgres schema this service owns; first on the search_path */
  schema: string;
  pool?: { min?: number; max?: number };
  applicationName?: string;
}

/** The per-transaction settings the row-level-security policies read. */
export const TENANT_SETTING = 'app.tenant_id';
/** Further tenants readable in this transaction (descendants, for TENANT_AND_CHILDREN), comma-separated. */
export const VISIBLE_TENANTS_SETTING = 'app.visible_tenant_ids';

export function createKnex(cfg: DbConfig): Knex {
  return knexFactory({
    client: 'pg',
    connection: { connectionString: cfg.connectionString, application_name: cfg.applicationName ?? cfg.schema },
    searchPath: [cfg.schema, 'public'],
    pool: { min: cfg.pool?.min ?? 0, max: cfg.pool?.max ?? 10 },
  });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Run `fn` in a transaction whose row-level-security tenant is `tenantId`.
 * `set_config(..., true)` scopes the setting to this transaction only, so a
 * pooled connection never carries one tenant's context into another's query.
 */
export async function withTenant<T>(knex: Knex, tenantId: string, fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  if (!tenantId) throw new TenantContextMissingError('withTenant');
  if (!UUID.test(tenantId)) throw new AppError(ErrorCodes.BAD_USER_INPUT, `tenant id is not a UUID: ${tenantId}`);
  return knex.transaction(async (trx) => {
    await trx.raw('select set_config(?, ?, true)', [TENANT_SETTING, tenantId]);
    return fn(trx);
  });
}

/**
 * Like withTenant, but rows of `visibleTenantIds` are readable too (a parent
 * operator reading its partners' data). Writes still go to `tenantId` only: the
 * policies' WITH CHECK names the one tenant.
 */
export async function withTenantScope<T>(
  knex: Knex,
  scope: { tenantId: string; tenantIds: readonly string[] },
  fn: (trx: Knex.Transaction) => Promise<T>,
): Promise<T> {
  const { tenantId, tenantIds } = scope;
  if (!tenantId) throw new TenantContextMissingError('withTenantScope');
  for (const t of [tenantId, ...tenantIds]) {
    if (!UUID.test(t)) throw new AppError(ErrorCodes.BAD_USER_INPUT, `tenant id is not a UUID: ${t}`);
  }
  return knex.transaction(async (trx) => {
    await trx.raw('select set_config(?, ?, true), set_config(?, ?, true)', [
      TENANT_SETTING,
      tenantId,
      VISIBLE_TENANTS_SETTING,
      tenantIds.filter((t) => t !== tenantId).join(','),
    ]);
    return fn(trx);
  });
}

/** SQL fragment for a standard tenant-isolation policy on `table` (used by migrations). */
export function tenantRlsStatements(qualifiedTable: string): string[] {
  const policy = `${qualifiedTable.replace(/\W/g, '_')}_tenant_isolation`;
  return [
    `alter table ${qualifiedTable} enable row level security`,
    `alter table ${qualifiedTable} force row level security`,
    `drop policy if exists ${policy} on ${qualifiedTable}`,
    `create policy ${policy} on ${qualifiedTable}
       using (tenant_id = nullif(current_setting('${TENANT_SETTING}', true), '')::uuid
              or tenant_id = any(string_to_array(nullif(current_setting('${VISIBLE_TENANTS_SETTING}', true), ''), ',')::uuid[]))
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
