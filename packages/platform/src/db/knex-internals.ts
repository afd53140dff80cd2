import type { Knex } from 'knex';

/*
 * Every place this platform reaches into knex's internals, in one file. knex has no
 * public hook for any of these; a knex upgrade that moves them must fail loudly here
 * (test/knex-internals.int.test.ts), not quietly turn prepared statements, the
 * one-round-trip tenant BEGIN or pipelining off.
 *
 * Checked against knex 3.1.
 */

/** knex's own Postgres client class (knex accepts a client class in place of a dialect name). */
export const KnexPgClient = require('knex/lib/dialects/postgres') as new (config: Knex.Config) => {
  _query(conn: unknown, obj: unknown): Promise<unknown>;
  destroy(callback?: unknown): Promise<void>;
};

interface PgTransactionPrototype {
  begin(conn: unknown): Promise<unknown>;
  query(conn: unknown, sql: string): Promise<unknown>;
  userParams?: { evcsBegin?: string };
}

// knex's Postgres transaction class is the only place the BEGIN statement is chosen.
const PgTransaction = require('knex/lib/dialects/postgres/execution/pg-transaction') as { prototype: PgTransactionPrototype };

if (typeof PgTransaction?.prototype?.begin !== 'function' || typeof PgTransaction.prototype.query !== 'function') {
  throw new Error('knex internals changed: pg-transaction has no begin/query; see packages/platform/src/db/knex-internals.ts');
}

const knexBegin = PgTransaction.prototype.begin;
/**
 * A knex transaction given `userParams.evcsBegin` sends that statement instead of
 * `BEGIN;` — savepoints, commit, rollback and the transactor API stay knex's own.
 */
PgTransaction.prototype.begin = function (this: PgTransactionPrototype, conn: unknown) {
  const begin = this.userParams?.evcsBegin;
  return begin ? this.query(conn, begin) : knexBegin.call(this, conn);
};

/**
 * A transaction that starts with `begin`. knex.transaction() replaces `userParams`
 * with the instance's own, so the transaction is made one level down, with the same
 * defaults knex.transaction() applies (a rollback rejects only when asked to).
 */
export function transactionBeginningWith<T>(knex: Knex, begin: string, fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  const k = knex as unknown as { context: { _transaction?(container: (trx: Knex.Transaction) => Promise<T>, config: object): Promise<T> } };
  if (typeof k.context?._transaction !== 'function') {
    throw new Error('knex internals changed: knex.context._transaction is gone; see packages/platform/src/db/knex-internals.ts');
  }
  return k.context._transaction(fn, { userParams: { evcsBegin: begin }, doNotRejectOnRollback: true });
}

/** What pipelining needs of knex's client and pg's connection. */
export interface PipelinedClient {
  acquireConnection(): Promise<PgPipelinedConnection>;
  releaseConnection(conn: PgPipelinedConnection): Promise<unknown>;
  _query(conn: PgPipelinedConnection, obj: { sql: string; bindings: readonly unknown[]; options?: object }): Promise<{ response: unknown }>;
  processResponse(obj: object, runner: unknown): unknown;
  emit(event: string, payload: object): void;
}
export interface PgPipelinedConnection {
  __knexUid?: string;
  pipeline?: boolean;
  connection: { stream: { cork(): void; uncork(): void } };
  query(sql: string): Promise<unknown>;
}

export function pipelinedClientOf(knex: Knex | Knex.Transaction): PipelinedClient {
  const client = knex.client as unknown as Partial<PipelinedClient>;
  for (const m of ['acquireConnection', 'releaseConnection', '_query', 'processResponse', 'emit'] as const) {
    if (typeof client[m] !== 'function') throw new Error(`knex internals changed: client.${m} is gone; see packages/platform/src/db/knex-internals.ts`);
  }
  return client as PipelinedClient;
}

/** What the pool gauges read of knex's connection pool (tarn). */
export interface PoolStats {
  used: number;
  free: number;
  /** requests waiting for a connection */
  waiting: number;
  max: number;
}

/** knex's tarn pool, read for the pool gauges; null once the knex is destroyed. */
export function poolStatsOf(knex: Knex): PoolStats | null {
  const pool = (knex.client as { pool?: { numUsed(): number; numFree(): number; numPendingAcquires(): number; max: number } }).pool;
  if (!pool) return null;
  if (typeof pool.numUsed !== 'function' || typeof pool.numPendingAcquires !== 'function') {
    throw new Error('knex internals changed: client.pool is no tarn pool; see packages/platform/src/db/knex-internals.ts');
  }
  return { used: pool.numUsed(), free: pool.numFree(), waiting: pool.numPendingAcquires(), max: pool.max };
}
