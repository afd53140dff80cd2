import { AsyncLocalStorage } from 'node:async_hooks';
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
    // pg's pipeline mode lets readInTenantScope send BEGIN, its queries and COMMIT without
    // waiting for each answer. knex itself still sends one query at a time on a connection,
    // and pg behaves as usual then.
    connection: { connectionString: cfg.connectionString, application_name: cfg.applicationName ?? cfg.schema, pipeline: true } as Knex.PgConnectionConfig,
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

type ReadQuery = Knex.QueryBuilder | Knex.Raw;
type ReadResult<Q> = Q extends Knex.QueryBuilder<any, infer R> ? R : Q extends Knex.Raw<infer R> ? R : never;

interface PipelinedClient {
  acquireConnection(): Promise<PgPipelinedConnection>;
  releaseConnection(conn: PgPipelinedConnection): Promise<unknown>;
  _query(conn: PgPipelinedConnection, obj: { sql: string; bindings: readonly unknown[]; options?: object }): Promise<{ response: unknown }>;
  processResponse(obj: object, runner: unknown): unknown;
  emit(event: string, payload: object): void;
}
interface PgPipelinedConnection {
  __knexUid?: string;
  pipeline?: boolean;
  connection: { stream: { cork(): void; uncork(): void } };
  query(sql: string): Promise<unknown>;
}

/**
 * Read-only queries in one tenant transaction, in one round trip: BEGIN with the
 * tenant settings, the queries and COMMIT are written together (pg pipeline mode,
 * one corked socket write) and Postgres answers them in order. Same isolation as
 * withTenantScope — RLS sees the same per-transaction settings — at a third of the
 * round trips of a single-query transaction (a micro-benchmark of 50 concurrent
 * readers: ~16,000 → ~26,000 transactions/s). For queries that don't depend on one
 * another's results; anything that does, and every write, uses withTenantScope.
 *
 * If a query fails, the transaction is aborted and COMMIT ends it (Postgres answers
 * ROLLBACK); the first error is thrown once all answers are in, so the connection
 * goes back to the pool idle.
 */
export async function readInTenantScope<const Q extends readonly ReadQuery[]>(
  knex: Knex,
  scope: { tenantId: string; tenantIds: readonly string[] },
  queries: Q,
): Promise<{ -readonly [K in keyof Q]: ReadResult<Q[K]> }> {
  if (!scope.tenantId) throw new TenantContextMissingError('readInTenantScope');
  const begin = tenantBegin(scope.tenantId, scope.tenantIds.filter((t) => t !== scope.tenantId));
  const client = knex.client as unknown as PipelinedClient;
  const conn = await client.acquireConnection();
  try {
    return (await sendPipelined(client, conn, queries, begin)) as { -readonly [K in keyof Q]: ReadResult<Q[K]> };
  } finally {
    await client.releaseConnection(conn);
  }
}

/**
 * Statements of one tenant — writes too — that don't need one another's results, in
 * a transaction sent in one round trip (as readInTenantScope). A failing statement
 * aborts the transaction: nothing of it is kept, and its error is thrown.
 */
export function inTenantInOneTrip<const Q extends readonly ReadQuery[]>(
  knex: Knex,
  tenantId: string,
  queries: Q,
): Promise<{ -readonly [K in keyof Q]: ReadResult<Q[K]> }> {
  if (!tenantId) throw new TenantContextMissingError('inTenantInOneTrip');
  return readInTenantScope(knex, { tenantId, tenantIds: [tenantId] }, queries);
}

/**
 * Queries inside an open transaction (`trx` from withTenant/withTenantScope), sent
 * together and answered in order, in one round trip: for a sequence whose later
 * queries don't need the earlier ones' results, only their effects — e.g. take
 * an advisory lock, then read what it protects. Postgres runs them one after
 * another in submission order, so the reads happen after the lock is held.
 */
export async function pipelinedInTransaction<const Q extends readonly ReadQuery[]>(
  trx: Knex.Transaction,
  queries: Q,
): Promise<{ -readonly [K in keyof Q]: ReadResult<Q[K]> }> {
  const client = trx.client as unknown as PipelinedClient;
  // A transaction's client hands out the transaction's own connection (and releasing it is a no-op).
  const conn = await client.acquireConnection();
  return (await sendPipelined(client, conn, queries, null)) as { -readonly [K in keyof Q]: ReadResult<Q[K]> };
}

/**
 * Writes the queries (between BEGIN and COMMIT when `begin` is given) in one corked
 * write, waits for every answer, and throws the first error once all are in, so the
 * connection is idle (or its transaction aborted, for the caller to roll back) after.
 */
async function sendPipelined(client: PipelinedClient, conn: PgPipelinedConnection, queries: readonly ReadQuery[], begin: string | null): Promise<unknown[]> {
  if (!conn.pipeline) throw new Error('pipelined queries need a knex made by createKnex (pg pipeline mode)');
  const compiled = queries.map((q) => q.toSQL() as Knex.Sql & { options?: object });
  const stream = conn.connection.stream;
  stream.cork();
  let sent: Promise<unknown>[];
  try {
    sent = [
      ...(begin ? [conn.query(begin)] : []),
      ...compiled.map((c) => {
        // As knex's own runner does: 'query' listeners (debugging, tests) see these queries too.
        client.emit('query', { __knexUid: conn.__knexUid, ...c });
        const native = c.toNative();
        return client._query(conn, { sql: native.sql, bindings: native.bindings, options: c.options });
      }),
      ...(begin ? [conn.query('COMMIT')] : []),
    ];
  } finally {
    // After the synchronous submissions above: everything leaves in one write.
    process.nextTick(() => stream.uncork());
  }
  const settled = await Promise.allSettled(sent);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  const first = begin ? 1 : 0;
  return compiled.map((c, i) => client.processResponse({ ...c, response: (settled[i + first] as PromiseFulfilledResult<{ response: unknown }>).value.response }, null));
}

/**
 * Batches of a tenant's work in one transaction, for consumers: while `batch(tenant, fn)`
 * runs, every `run(tenant, work)` made for that tenant in the same async context joins the
 * batch's transaction instead of opening its own; the batch commits when `fn` resolves.
 * All or nothing, on purpose without savepoints (a savepoint costs the two round trips a
 * batch saves): once any work fails, the batch is spoiled — later work fails at once and
 * the batch rejects, even if the caller caught the error — and nothing of it is kept.
 * Callers then apply the items again one by one. Work for another tenant keeps its own
 * transaction.
 */
export class TenantBatches {
  private readonly open = new AsyncLocalStorage<{ tenantId: string; trx: Knex.Transaction; failed: unknown }>();

  constructor(private readonly knex: Knex) {}

  batch<T>(tenantId: string, fn: () => Promise<T>): Promise<T> {
    return withTenant(this.knex, tenantId, async (trx) => {
      const open = { tenantId, trx, failed: undefined as unknown };
      const result = await this.open.run(open, fn);
      if (open.failed) throw open.failed;
      return result;
    });
  }

  async run<T>(tenantId: string, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    const open = this.open.getStore();
    if (!open || open.tenantId !== tenantId) return withTenant(this.knex, tenantId, work);
    if (open.failed) throw open.failed;
    try {
      return await work(open.trx);
    } catch (e) {
      open.failed = e;
      throw e;
    }
  }
}

/**
 * Consumers' way through a chunk of events: each run of consecutive items of one tenant
 * goes through `batch` (one transaction — TenantBatches — all or nothing, with `strict`
 * applying each item); a run whose batch fails is applied again item by item with `alone`
 * (by default `strict`), so only what must fail fails. Results in the items' order.
 */
export async function applyInTenantRuns<T extends { tenantId: string }, R>(
  items: readonly T[],
  batch: (tenantId: string, fn: () => Promise<R[]>) => Promise<R[]>,
  strict: (item: T) => Promise<R>,
  alone: (item: T) => Promise<R> = strict,
): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; ) {
    let j = i + 1;
    while (j < items.length && items[j].tenantId === items[i].tenantId) j++;
    const run = items.slice(i, j);
    try {
      results.push(
        ...(await batch(run[0].tenantId, async () => {
          const out: R[] = [];
          for (const item of run) out.push(await strict(item));
          return out;
        })),
      );
    } catch {
      // Nothing of the run was kept: one by one.
      for (const item of run) results.push(await alone(item));
    }
    i = j;
  }
  return results;
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
