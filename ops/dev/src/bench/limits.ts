import { execFile } from 'node:child_process';
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';

/**
 * What a benchmark compares itself with, measured in the same run on the same machine: the
 * components alone doing the least the path must do (docs/benchmarks.md prints the ratio).
 */

/** p50/p90/p99/max of a list of milliseconds. */
export function percentiles(ms: number[]): { p50: number; p90: number; p99: number; max: number; n: number } {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => (s.length ? Math.round(s[Math.min(s.length - 1, Math.floor(s.length * q))] * 10) / 10 : NaN);
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1), n: s.length };
}

/** The 1-minute load average, printed beside figures: the machine is shared. */
export const load = (): string => loadavg()[0].toFixed(1);

/**
 * kafkajs alone: the same messages produced (acks=all, batches of 1,000, like the bench) to a
 * fresh topic of `partitions` and consumed by one consumer from the beginning, with
 * `partitionsConcurrently`. Events/s from the first send to the last message consumed.
 */
export async function kafkaRoundTrip(
  brokers: string[],
  topic: string,
  messages: { key: string; value: string }[],
  partitions: number,
  partitionsConcurrently: number,
): Promise<number> {
  const kafka = new Kafka({ clientId: `${topic}-limit`, brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const consumer = kafka.consumer({ groupId: `${topic}-limit` });
  await Promise.all([producer.connect(), consumer.connect()]);
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let seen = 0;
    let done: () => void = () => undefined;
    const all = new Promise<void>((r) => (done = r));
    await consumer.run({
      partitionsConsumedConcurrently: partitionsConcurrently,
      eachBatch: async ({ batch }) => {
        seen += batch.messages.length;
        if (seen >= messages.length) done();
        return Promise.resolve();
      },
    });
    const t0 = Date.now();
    for (let i = 0; i < messages.length; i += 1000) await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 1000) });
    await all;
    return Math.round(messages.length / ((Date.now() - t0) / 1000));
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
    const a = kafka.admin();
    await a.connect();
    await a.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await a.disconnect();
  }
}

/**
 * Postgres alone: `pgbench` with `clients` connections, each transaction the minimal status
 * upsert — one statement, one row of `connectors` rows, keeping the newest status (the
 * compare-and-set a status needs, no history, no presence) — for `seconds`. Its own schema in
 * the given database, dropped after. Returns transactions (= statuses) per second.
 */
export async function pgbenchStatusUpsert(url: string, connectors: number, clients: number, seconds: number): Promise<number> {
  const pg = new Client({ connectionString: url });
  await pg.connect();
  const dir = await mkdtemp(path.join(tmpdir(), 'pgbench-'));
  try {
    await pg.query(`drop schema if exists pgbench_limit cascade; create schema pgbench_limit;
      create table pgbench_limit.connectors (id int primary key, status text not null, status_at timestamptz not null);
      insert into pgbench_limit.connectors select g, 'Available', now() from generate_series(1, ${connectors}) g;`);
    const script = path.join(dir, 'status-upsert.sql');
    await writeFile(
      script,
      `\\set k random(1, ${connectors})
insert into pgbench_limit.connectors as c (id, status, status_at) values (:k, 'Charging', clock_timestamp())
  on conflict (id) do update set status = excluded.status, status_at = excluded.status_at where c.status_at <= excluded.status_at;
`,
    );
    const { stdout } = await promisify(execFile)('pgbench', [
      '-n',
      '-c',
      String(clients),
      '-j',
      String(Math.min(clients, 2)),
      '-T',
      String(seconds),
      '-f',
      script,
      url,
    ]);
    const tps = /tps = ([\d.]+)/.exec(stdout);
    if (!tps) throw new Error(`pgbench printed no tps: ${stdout}`);
    return Math.round(Number(tps[1]));
  } finally {
    await pg.query('drop schema if exists pgbench_limit cascade');
    await pg.end();
    await rm(dir, { recursive: true, force: true });
  }
}
