import { createHash } from 'node:crypto';
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

/**
 * Prepared statements, automatically. A parameterised query is sent as a named
 * statement (the name is a hash of its text), so each pooled connection parses
 * and plans a query shape once and afterwards only binds and executes it. knex
 * passes a builder's `options` to pg, and pg prepares a query that has a `name`
 * on first use per connection and reuses it after.
 *
 * Bounded: a connection holds at most MAX_PREPARED_PER_CONNECTION statements
 * (query shapes beyond that, e.g. IN-lists of every length, run unnamed), since
 * pg never deallocates them. Queries without bindings are left alone: those
 * include knex's `BEGIN;` and our multi-statement tenant BEGIN, which the
 * extended protocol can't carry.
 */
const MAX_PREPARED_PER_CONNECTION = 256;
const statementNames = new Map<string, string>();
const preparedCount = new WeakMap<object, number>();

function statementName(sql: string): string {
  let name = statementNames.get(sql);
  if (!name) {
    name = `evcs_${createHash('sha1').update(sql).digest('base64url').slice(0, 22)}`;
    if (statementNames.size >= 10_000) statementNames.clear();
    statementNames.set(sql, name);
  }
  return name;
}

interface PgConnectionLike {
  connection?: { parsedStatements?: Record<string, string> };
}
interface KnexQueryObject {
  sql?: string;
  bindings?: unknown[];
  options?: { name?: string };
}

// knex's own Postgres client; knex accepts a client class in place of a dialect name.
const KnexPgClient = require('knex/lib/dialects/postgres') as new (config: Knex.Config) => { _query(conn: unknown, obj: unknown): Promise<unknown> };

class PreparingPgClient extends KnexPgClient {
  override _query(conn: PgConnectionLike, obj: KnexQueryObject): Promise<unknown> {
    if (obj.sql && obj.bindings && obj.bindings.length > 0 && !obj.options?.name) {
      const name = statementName(obj.sql);
      const parsed = conn.connection?.parsedStatements;
      const count = preparedCount.get(conn) ?? 0;
      if (parsed?.[name] !== undefined) {
        obj.options = { ...obj.options, name };
      } else if (parsed && count < MAX_PREPARED_PER_CONNECTION) {
        preparedCount.set(conn, count + 1);
        obj.options = { ...obj.options, name };
      }
    }
    return super._query(conn, obj);
  }
}

export function createKnex(cfg: DbConfig): Knex {
  return knexFactory({
    client: PreparingPgClient as unknown as typeof Knex.Client,
    connection: { connectionString: cfg.connectionString, application_name: cfg.applicationName ?? cfg.schema },
    searchPath: [cfg.schema, 'public'],
    pool: { min: cfg.pool?.min ?? 0, max: cfg.pool?.max ?? 10 },
  });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * BEGIN and the tenant settings in one round trip. knex starts a transaction
 * with a separate `BEGIN;`, then we would set the tenant with another query:
 * two round trips before any work, on every request. A knex transaction given
 * `userParams.evcsBegin` sends that statement instead of `BEGIN;` — everything
 * else (savepoints, commit, rollback, the transactor API) stays knex's own.
 * The statement is built only from validated UUIDs (see tenantBegin).
 */
// knex exposes no hook for the BEGIN statement; its Postgres transaction class is the place.
const PgTransaction = require('knex/lib/dialects/postgres/execution/pg-transaction') as {
  prototype: { begin(conn: unknown): Promise<unknown>; query(conn: unknown, sql: string): Promise<unknown>; userParams?: { evcsBegin?: string } };
};
const knexBegin = PgTransaction.prototype.begin;
PgTransaction.prototype.begin = function (this: typeof PgTransaction.prototype, conn: unknown) {
  const begin = this.userParams?.evcsBegin;
  return begin ? this.query(conn, begin) : knexBegin.call(this, conn);
};

function tenantBegin(tenantId: string, visible: readonly string[]): string {
  // Literals, not parameters: a multi-statement query can't take parameters. Safe because every
  // value was checked against the UUID pattern (hex and dashes only) just before.
  for (const t of [tenantId, ...visible]) {
    if (!UUID.test(t)) throw new AppError(ErrorCodes.BAD_USER_INPUT, `tenant id is not a UUID: ${t}`);
  }
  return `BEGIN; SELECT set_config('${TENANT_SETTING}', '${tenantId}', true), set_config('${VISIBLE_TENANTS_SETTING}', '${visible.join(',')}', true);`;
}

/**
 * Run `fn` in a transaction whose row-level-security tenant is `tenantId`.
 * `set_config(..., true)` scopes the setting to this transaction only, so a
 * pooled connection never carries one tenant's context into another's query.
 */
export async function withTenant<T>(knex: Knex, tenantId: string, fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  if (!tenantId) throw new TenantContextMissingError('withTenant');
  return tenantTransaction(knex, tenantBegin(tenantId, []), fn);
}

/**
 * knex.transaction() replaces `userParams` with the instance's own, so the
 * transaction is made one level down, with the same defaults knex.transaction()
 * applies (a rollback rejects only when asked to).
 */
function tenantTransaction<T>(knex: Knex, begin: string, fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  const k = knex as unknown as { context: { _transaction(container: (trx: Knex.Transaction) => Promise<T>, config: object): Promise<T> } };
  return k.context._transaction(fn, { userParams: { evcsBegin: begin }, doNotRejectOnRollback: true });
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
  return tenantTransaction(knex, tenantBegin(tenantId, tenantIds.filter((t) => t !== tenantId)), fn);
}

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
