import type { Knex } from 'knex';
import { poolStatsOf } from '../db/knex-internals';
import { gauge, histogram, ScrapeSources } from './registry';

const pools = new ScrapeSources<{ name: string; knex: Knex }>();

gauge<'pool' | 'state'>({
  name: 'evcs_db_pool_connections',
  help: 'Database pool connections by pool (api, background, …) and state (used, free)',
  labelNames: ['pool', 'state'],
  collect() {
    this.reset();
    for (const p of pools.all()) {
      const s = poolStatsOf(p.knex);
      if (!s) continue;
      this.set({ pool: p.name, state: 'used' }, s.used);
      this.set({ pool: p.name, state: 'free' }, s.free);
    }
  },
});
gauge<'pool'>({
  name: 'evcs_db_pool_waiting_requests',
  help: 'Requests waiting for a database connection, by pool',
  labelNames: ['pool'],
  collect() {
    this.reset();
    for (const p of pools.all()) {
      const s = poolStatsOf(p.knex);
      if (s) this.set({ pool: p.name }, s.waiting);
    }
  },
});
gauge<'pool'>({
  name: 'evcs_db_pool_max_connections',
  help: 'The size limit of each database pool',
  labelNames: ['pool'],
  collect() {
    this.reset();
    for (const p of pools.all()) {
      const s = poolStatsOf(p.knex);
      if (s) this.set({ pool: p.name }, s.max);
    }
  },
});

/** Every statement a pool sends, from send to answer (pipelined ones included). */
export const statementDuration = histogram<'pool' | 'outcome'>({
  name: 'evcs_db_statement_duration_seconds',
  help: 'SQL statements from send to answer, by pool and outcome (ok, error)',
  labelNames: ['pool', 'outcome'],
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
});

/** The pool's gauges are read at every scrape until the returned function is called (knex destroyed). */
export function observePool(name: string, knex: Knex): () => void {
  return pools.add({ name, knex });
}
