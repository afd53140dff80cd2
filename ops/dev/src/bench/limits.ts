import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '@evcs/testkit';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';

/**
 * The limits a benchmark prints beside its result, measured in the same run on the same
 * machine: what the path's storage or transport can do at best with the same concurrency,
 * so a result reads as a fraction of the possible rather than a bare number.
 */

const exec = promisify(execFile);

export interface LimitResult {
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

const pct = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

/** p50/p90/p99/max of a list of milliseconds (a benchmark's own latencies). */
export function percentiles(ms: number[]): { p50: number; p90: number; p99: number; max: number; n: number } {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => (s.length ? Math.round(s[Math.min(s.length - 1, Math.floor(s.length * q))] * 10) / 10 : NaN);
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1), n: s.length };
}

/** The load average, to be recorded next to the figures (the machine is shared). */
export const loadAverage = (): string =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/** Where pgbench is: on PATH, or in Debian's versioned directory. */
async function pgbenchBinary(): Promise<string> {
  for (const candidate of ['pgbench', ...(await versionedPgbenches())]) {
    try {
      await exec(candidate, ['--version']);
      return candidate;
    } catch {
      // next
    }
  }
  throw new Error('pgbench not found: install postgresql-contrib (Debian: apt-get install postgresql-contrib)');
}

async function versionedPgbenches(): Promise<string[]> {
  try {
    return (await readdir('/usr/lib/postgresql')).map((v) => `/usr/lib/postgresql/${v}/bin/pgbench`);
  } catch {
    return [];
  }
}

/**
 * pgbench running `script` (its own script language: \set, \startpipeline, SQL) with `clients`
 * connections for `seconds`, prepared statements, every transaction logged so the
 * percentiles are real ones.
 */
export async function pgbenchLimit(o: { url: string; script: string; clients: number; seconds: number; vars?: Record<string, string> }): Promise<LimitResult> {
  const bin = await pgbenchBinary();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'evcs-pgbench-'));
  try {
    const file = path.join(dir, 'tx.sql');
    await writeFile(file, o.script);
    const args = [
      '-n',
      '-M',
      'prepared',
      '-c',
      String(o.clients),
      '-j',
      String(Math.min(2, o.clients)),
      '-T',
      String(o.seconds),
      '-f',
      file,
      '-l',
      '--log-prefix',
      path.join(dir, 'log'),
      ...Object.entries(o.vars ?? {}).flatMap(([k, v]) => ['-D', `${k}=${v}`]),
      o.url,
    ];
    const { stdout } = await exec(bin, args, { maxBuffer: 16 * 1024 * 1024 });
    const failed = /number of failed transactions: (\d+)/.exec(stdout);
    if (failed && Number(failed[1]) > 0) throw new Error(`pgbench: ${failed[1]} transactions failed\n${stdout}`);
    const latencies: number[] = [];
    for (const f of await readdir(dir)) {
      if (!f.startsWith('log')) continue;
      // client_id transaction_no time(µs) script_no time_epoch time_us
      for (const line of (await readFile(path.join(dir, f), 'utf8')).split('\n')) {
        const us = Number(line.split(' ')[2]);
        if (Number.isFinite(us) && line) latencies.push(us / 1000);
      }
    }
    latencies.sort((a, b) => a - b);
    const tps = /tps = ([\d.]+)/.exec(stdout);
    return { perSecond: tps ? Number(tps[1]) : latencies.length / o.seconds, p50Ms: pct(latencies, 50), p99Ms: pct(latencies, 99) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Postgres alone for a status change: pgbench with `clients` connections, each transaction the
 * minimal status upsert — one statement, one row of `connectors` rows, keeping the newest status
 * (the compare-and-set a status needs, no history, no presence). Its own schema in the given
 * database, dropped after.
 */
export async function pgbenchStatusUpsert(url: string, connectors: number, clients: number, seconds: number): Promise<LimitResult> {
  const pg = new Client({ connectionString: url });
  await pg.connect();
  try {
    await pg.query(`drop schema if exists pgbench_limit cascade; create schema pgbench_limit;
      create table pgbench_limit.connectors (id int primary key, status text not null, status_at timestamptz not null);
      insert into pgbench_limit.connectors select g, 'Available', now() from generate_series(1, ${connectors}) g;`);
    const script = `\\set k random(1, ${connectors})
insert into pgbench_limit.connectors as c (id, status, status_at) values (:k, 'Charging', clock_timestamp())
  on conflict (id) do update set status = excluded.status, status_at = excluded.status_at where c.status_at <= excluded.status_at;
`;
    return await pgbenchLimit({ url, script, clients, seconds });
  } finally {
    await pg.query('drop schema if exists pgbench_limit cascade');
    await pg.end();
  }
}

/**
 * kafkajs alone: the messages produced to a fresh topic of `partitions` partitions (idempotent
 * producer, acks=all, in requests of 1,000, as the benchmark publishes them), then consumed by a
 * group working `concurrency` partitions at a time and committing as it goes — until the group
 * has committed past all of them. Per second: messages from the first produce to the last commit.
 */
export async function kafkaLimit(o: {
  brokers: string[];
  topic: string;
  partitions: number;
  messages: { key: string; value: string; headers?: Record<string, string> }[];
  concurrency: number;
}): Promise<{ perSecond: number; seconds: number }> {
  const kafka = new Kafka({ clientId: `${o.topic}-limit`, brokers: o.brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  const consumer = kafka.consumer({ groupId: `${o.topic}-limit` });
  try {
    await admin.createTopics({ topics: [{ topic: o.topic, numPartitions: o.partitions, replicationFactor: 1 }], waitForLeaders: true });
    await producer.connect();
    await consumer.connect();
    await consumer.subscribe({ topic: o.topic, fromBeginning: true });
    let seen = 0;
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    await consumer.run({
      partitionsConsumedConcurrently: o.concurrency,
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary, heartbeat }) => {
        for (const m of batch.messages) {
          JSON.parse(m.value!.toString()); // what a consumer does at the least: decode
          resolveOffset(m.offset);
        }
        await commitOffsetsIfNecessary();
        await heartbeat();
        seen += batch.messages.length;
        if (seen >= o.messages.length) resolveDone();
      },
    });
    const t0 = Date.now();
    for (let i = 0; i < o.messages.length; i += 1000) {
      await producer.send({ topic: o.topic, acks: -1, messages: o.messages.slice(i, i + 1000) });
    }
    await done;
    const seconds = (Date.now() - t0) / 1000;
    return { perSecond: o.messages.length / seconds, seconds };
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await admin.deleteTopics({ topics: [o.topic] }).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

/** CPU seconds (user + system) a process has used so far; null if it is gone. Linux /proc. */
async function cpuSecondsOf(pid: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // fields after the command (which may hold spaces, in parentheses): utime is the 14th, stime the 15th
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return null;
  }
}
/** USER_HZ: 100 on every Linux this runs on (`getconf CLK_TCK`). */
const CLOCK_TICKS = 100;

/**
 * Where a run's CPU went, process by process: `sample()` before and `report(units)` after the
 * measurement give CPU milliseconds per unit of work (a start, an event) for each — the part of
 * a profile that does not depend on how loaded the shared machine is. Groups of processes (the
 * Postgres backends of the run's database) are summed.
 */
export class CpuAccount {
  /** CPU seconds per process of each group at sample() */
  private before = new Map<string, Map<number, number>>();
  private t0 = 0;
  private cpu0 = process.cpuUsage();

  constructor(private readonly groups: () => Promise<Map<string, number[]>>) {}

  private async now(): Promise<Map<string, Map<number, number>>> {
    const out = new Map<string, Map<number, number>>();
    for (const [name, pids] of await this.groups()) {
      const per = new Map<number, number>();
      for (const pid of pids) {
        const s = await cpuSecondsOf(pid);
        if (s !== null) per.set(pid, s);
      }
      out.set(name, per);
    }
    return out;
  }

  /** CPU seconds per second of each group while nothing is asked of it (heartbeats, polls, timers) */
  private idle = new Map<string, number>();

  /**
   * Watch `ms` of idleness first: what each process burns doing nothing is subtracted from the
   * run, so a slow run's per-unit figures are not inflated by the background's timers.
   */
  async sampleIdle(ms: number): Promise<void> {
    const start = await this.now();
    const t = Date.now();
    await new Promise((r) => setTimeout(r, ms));
    const end = await this.now();
    const secs = (Date.now() - t) / 1000;
    for (const [name, per] of end) {
      let sum = 0;
      for (const [pid, v] of per) sum += v - (start.get(name)?.get(pid) ?? v);
      this.idle.set(name, sum / secs);
    }
  }

  async sample(): Promise<void> {
    this.before = await this.now();
    this.t0 = Date.now();
    this.cpu0 = process.cpuUsage();
  }

  /**
   * One line per process: CPU ms per unit and share of a core over the run, less its idle
   * rate when sampleIdle ran (the load generator's own is not subtracted). A process that
   * appeared during the run (a new pooled connection) counts from its start; one that ended
   * during it is missed.
   */
  async report(units: number, unitName: string): Promise<string> {
    const own = process.cpuUsage(this.cpu0);
    const after = await this.now();
    const seconds = (Date.now() - this.t0) / 1000;
    const used = new Map<string, number>();
    for (const [name, per] of after) {
      let sum = 0;
      for (const [pid, end] of per) sum += end - (this.before.get(name)?.get(pid) ?? 0);
      used.set(name, Math.max(0, sum - (this.idle.get(name) ?? 0) * seconds));
    }
    used.set('load generator (this process)', (own.user + own.system) / 1e6);
    const line = (name: string, secs: number) =>
      `    ${name.padEnd(38)} ${((secs * 1000) / Math.max(1, units)).toFixed(2).padStart(7)} ms CPU/${unitName} ${((secs / seconds) * 100).toFixed(0).padStart(5)} % of a core`;
    const total = [...used.values()].reduce((a, b) => a + b, 0);
    return [...[...used].map(([n, v]) => line(n, v)), line('all of the above', total)].join('\n');
  }
}

/** The pid of the project's Kafka broker (ops/kafka/kafka.sh's pid file), when it runs here. */
export async function kafkaBrokerPid(): Promise<number | null> {
  const home = process.env.KAFKA_HOME ?? path.join(REPO_ROOT, '.cache/kafka');
  try {
    const pid = Number((await readFile(path.join(home, 'kafka.pid'), 'utf8')).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/**
 * What the database's connections are doing while a benchmark runs, sampled every `everyMs`:
 * for each application (the services name their pools), how many connections are running SQL,
 * waiting on a lock or I/O, idle in a transaction (the service is thinking or waiting mid-
 * transaction), or idle. A path bound by a wait shows it here — a lock as `active Lock:advisory`,
 * a pool too small as every connection busy, time spent outside the database as `idle`.
 */
export class PgActivitySampler {
  private readonly counts = new Map<string, number>();
  private samples = 0;
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;

  constructor(
    private readonly client: Client,
    private readonly database: string,
    private readonly everyMs = 50,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.inFlight ??= this.tick().finally(() => (this.inFlight = null));
    }, this.everyMs);
  }

  private async tick(): Promise<void> {
    {
      const { rows } = await this.client.query<{ app: string; what: string; n: string }>(
        `select application_name as app,
                state || coalesce(' ' || wait_event_type || ':' || wait_event, '')
                  || case when state = 'idle in transaction' then ' after ' || left(regexp_replace(query, '[[:space:]]+', ' ', 'g'), 60) else '' end as what,
                count(*) as n
           from pg_stat_activity where datname = $1 and pid <> pg_backend_pid() group by 1, 2`,
        [this.database],
      );
      this.samples++;
      for (const r of rows) this.counts.set(`${r.app || '(none)'}\t${r.what}`, (this.counts.get(`${r.app || '(none)'}\t${r.what}`) ?? 0) + Number(r.n));
    }
  }

  /** Mean connections per (application, state/wait) over the samples, busiest first. */
  async stop(): Promise<string> {
    if (this.timer) clearInterval(this.timer);
    await this.inFlight;
    return [...this.counts]
      .map(([key, n]) => [key, n / Math.max(1, this.samples)] as const)
      .filter(([, mean]) => mean >= 0.05)
      .sort((a, b) => b[1] - a[1])
      .map(([key, mean]) => {
        const [app, what] = key.split('\t');
        return `    ${app.padEnd(22)} ${what.padEnd(60)} ${mean.toFixed(2).padStart(6)} connections`;
      })
      .join('\n');
  }
}

/**
 * The event-loop delay each service reports on its metrics port (prom-client's
 * nodejs_eventloop_lag_p99_seconds, since the process started): a loop held by CPU work or
 * a GC makes every request in the process wait, which no database sample shows.
 */
export async function eventLoopLag(targets: Record<string, string[]>): Promise<string> {
  const lines: string[] = [];
  for (const [job, addrs] of Object.entries(targets)) {
    for (const addr of addrs) {
      try {
        const text = await (await fetch(`http://${addr}/metrics`)).text();
        const get = (name: string) => Number(new RegExp(`^${name} ([0-9.e+-]+)`, 'm').exec(text)?.[1] ?? NaN) * 1000;
        lines.push(
          `    ${job.padEnd(24)} event-loop lag ms: mean ${get('nodejs_eventloop_lag_mean_seconds').toFixed(1)} p99 ${get('nodejs_eventloop_lag_p99_seconds').toFixed(1)} max ${get('nodejs_eventloop_lag_max_seconds').toFixed(1)}`,
        );
      } catch {
        lines.push(`    ${job.padEnd(24)} (metrics not reachable)`);
      }
    }
  }
  return lines.join('\n');
}
