import knexFactory, { Knex } from 'knex';
import { createHash } from 'node:crypto';
import { observePool, statementDuration } from '../metrics/db';
import { KnexPgClient } from './knex-internals';

export type { Knex };

export interface DbConfig {
  connectionString: string;
  /** Postgres schema this service owns; first on the search_path */
  schema: string;
  pool?: { min?: number; max?: number };
  applicationName?: string;
  /** Names the pool in the metrics (evcs_db_pool_*, evcs_db_statement_duration_seconds); unnamed pools are not measured. */
  metricsPool?: string;
}

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

/**
 * `.options(UNPREPARED)` on a query: sent unnamed, so Postgres plans it for its parameter
 * values every time. For a statement whose good plan depends on the values — arrays unnested
 * into CTEs and joins, whose lengths a generic plan cannot know. A prepared statement is
 * planned for its values five times, then Postgres may keep a generic plan for good: the
 * status consumer's two set-based statements became 3–10× slower from the sixth run on
 * (docs/benchmarks.md, Session 12). Planning them each time costs about a millisecond.
 */
export const UNPREPARED: Readonly<{ evcsUnprepared: true }> = Object.freeze({ evcsUnprepared: true });
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
  options?: { name?: string; evcsUnprepared?: boolean };
}

class PreparingPgClient extends KnexPgClient {
  override _query(conn: PgConnectionLike, obj: KnexQueryObject): Promise<unknown> {
    const pool = (this as unknown as { config: { evcsMetricsPool?: string } }).config.evcsMetricsPool;
    if (!pool) return this.prepared(conn, obj);
    const end = statementDuration.startTimer({ pool });
    return this.prepared(conn, obj).then(
      (r) => (end({ outcome: 'ok' }), r),
      (e: unknown) => {
        end({ outcome: 'error' });
        throw e;
      },
    );
  }

  /** Set by createKnex for a named pool: its gauges stop reading it once it is destroyed. */
  evcsUnobserve?: () => void;

  override destroy(callback?: unknown): Promise<void> {
    this.evcsUnobserve?.();
    return super.destroy(callback);
  }

  private prepared(conn: PgConnectionLike, obj: KnexQueryObject): Promise<unknown> {
    if (obj.options?.evcsUnprepared) {
      // pg would pass the marker on as a query option; it is ours only
      const { evcsUnprepared: _, ...rest } = obj.options;
      return super._query(conn, { ...obj, options: rest });
    }
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
  const knex = knexFactory({
    client: PreparingPgClient as unknown as typeof Knex.Client,
    // pg's pipeline mode lets readInTenantScope send BEGIN, its queries and COMMIT without
    // waiting for each answer. knex itself still sends one query at a time on a connection,
    // and pg behaves as usual then.
    connection: { connectionString: cfg.connectionString, application_name: cfg.applicationName ?? cfg.schema, pipeline: true } as Knex.PgConnectionConfig,
    searchPath: [cfg.schema, 'public'],
    pool: { min: cfg.pool?.min ?? 0, max: cfg.pool?.max ?? 10 },
    ...(cfg.metricsPool ? { evcsMetricsPool: cfg.metricsPool } : {}),
  } as Knex.Config);
  if (cfg.metricsPool) (knex.client as PreparingPgClient).evcsUnobserve = observePool(cfg.metricsPool, knex);
  return knex;
}

/** A readiness probe's look at the database: one round trip, no table. */
export async function pingDatabase(knex: Knex): Promise<void> {
  await knex.raw('select 1');
}
