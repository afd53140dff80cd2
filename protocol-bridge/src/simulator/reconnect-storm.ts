import { fork, type ChildProcess } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import path from 'node:path';
import { hashChargerPassword, verifyChargerPassword, type Logger } from '@evcs/platform';
import { defaultScryptConcurrency, Semaphore } from '../ocpp/verified-credentials';
import { startBenchBridge, type BenchBridge } from './bench-bridge';

/**
 * `bench:connections -- --reconnect-storm`: `--connections` OCPP chargers (profile 1, Basic auth)
 * reconnect to one bridge at once, as after a bridge restart or a network blip. One run measures,
 * against the same bridge code:
 *  - limit: the same storm with no password (profile 0): the upgrade, the directory and the
 *    registry, no scrypt — what admission costs when the password costs nothing;
 *  - cold: the password cache empty, every connect one scrypt (bounded by the semaphore);
 *  - warm: the same chargers again, every password remembered;
 *  - unbounded (`--unbounded`): cold again with no semaphore (libuv's pool the only bound);
 *  - scrypt alone: checks/s on this machine, one at a time and at the semaphore's bound.
 * For each storm: connects/s, admission latency p50/p99, and how late a file stat (libuv's
 * pool, as file and DNS I/O use it) was answered meanwhile.
 */
interface StormResult {
  opened: number;
  seconds: number;
  latencies: number[];
  failures: Record<string, number>;
}

const quantile = (xs: number[], q: number) => (xs.length ? Math.round(xs[Math.min(xs.length - 1, Math.floor(xs.length * q))]) : null);

function storm(child: ChildProcess, msg: Record<string, unknown>): Promise<StormResult> {
  return new Promise((resolve) => {
    const on = (m: { type: string } & StormResult) => {
      if (m.type !== 'storm') return;
      child.off('message', on);
      resolve(m);
    };
    child.on('message', on);
    child.send({ type: 'storm', ...msg });
  });
}

/** How late libuv's pool answers a file stat, sampled every 20 ms while `during` runs. */
async function poolLatency<T>(during: Promise<T>): Promise<{ result: T; statMs: { p50: number | null; p99: number | null; max: number | null } }> {
  const samples: number[] = [];
  let done = false;
  const sampler = (async () => {
    while (!done) {
      const t0 = performance.now();
      await stat(__filename);
      samples.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const result = await during;
  done = true;
  await sampler;
  samples.sort((a, b) => a - b);
  const at = (q: number) => (samples.length ? Math.round(samples[Math.min(samples.length - 1, Math.floor(samples.length * q))] * 10) / 10 : null);
  return { result, statMs: { p50: at(0.5), p99: at(0.99), max: at(1) } };
}

async function counts(bench: BenchBridge): Promise<Record<string, number>> {
  const kinds = ['password_check_cached', 'password_check_scrypt', 'password_check_throttled'];
  return Object.fromEntries(await Promise.all(kinds.map(async (k) => [k, await bench.bridge.diagnostics.metrics.get('OCPP16', k)])));
}

async function measuredStorm(bench: BenchBridge, child: ChildProcess, count: number, addresses: number, password?: string) {
  const before = await counts(bench);
  const { result, statMs } = await poolLatency(storm(child, { url: `ws://127.0.0.1:${bench.port}/ocpp`, prefix: 'STORM-', count, addresses, password }));
  const after = await counts(bench);
  // the bridge sees every disconnect before the next storm
  for (const until = Date.now() + 60_000; bench.bridge.registry.count() > 0 && Date.now() < until;) await new Promise((r) => setTimeout(r, 100));
  const latencies = result.latencies.sort((a, b) => a - b);
  return {
    opened: result.opened,
    notOpened: result.failures,
    seconds: Math.round(result.seconds * 10) / 10,
    connectsPerSecond: Math.round(result.opened / result.seconds),
    admissionMs: { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), max: quantile(latencies, 1) },
    statDuringStormMs: statMs,
    passwordChecks: Object.fromEntries(Object.entries(after).map(([k, v]) => [k.replace('password_check_', ''), v - (before[k] ?? 0)])),
  };
}

async function scryptAlone(concurrency: number, n: number): Promise<number> {
  const password = 'bench-password-00000001';
  const hash = await hashChargerPassword(password);
  const gate = new Semaphore(concurrency);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: n }, () => gate.run(() => verifyChargerPassword(password, hash))));
  return Math.round(n / ((performance.now() - t0) / 1000));
}

export async function reconnectStorm(opts: { logger: Logger; connections: number; addresses: number; unbounded: boolean }): Promise<void> {
  const { logger, connections, addresses } = opts;
  const child = fork(path.join(__dirname, 'reconnect-load.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const bound = defaultScryptConcurrency();
  const report: Record<string, unknown> = { connections, cores: availableParallelism(), scryptConcurrency: bound, loadBefore: loadavg()[0].toFixed(1) };
  // the registry's row writes for the storm's disconnects finish before the store closes
  const close = async (b: BenchBridge) => (await new Promise((r) => setTimeout(r, 5_000)), await b.close());
  try {
    const cores = availableParallelism();
    report.scryptAlonePerSecond = { one: await scryptAlone(1, 100), perCore: await scryptAlone(cores, 100 * cores), bounded: await scryptAlone(bound, 300) };

    const open = await startBenchBridge({ logger, profile0: true });
    try {
      report.limit = await measuredStorm(open, child, connections, addresses);
    } finally {
      await close(open);
    }

    const bench = await startBenchBridge({ logger });
    try {
      report.cold = await measuredStorm(bench, child, connections, addresses, bench.password);
      report.warm = await measuredStorm(bench, child, connections, addresses, bench.password);
    } finally {
      await close(bench);
    }

    if (opts.unbounded) {
      const unbounded = await startBenchBridge({ logger, config: { scryptConcurrency: 1_000_000 } });
      try {
        report.coldUnbounded = await measuredStorm(unbounded, child, connections, addresses, unbounded.password);
      } finally {
        await close(unbounded);
      }
    }
    const rate = (k: string) => (report[k] as { connectsPerSecond: number } | undefined)?.connectsPerSecond ?? 0;
    report.ratios = {
      warmOverCold: Math.round((rate('warm') / rate('cold')) * 10) / 10,
      warmOverLimit: Math.round((rate('warm') / rate('limit')) * 100) / 100,
      coldOverScryptAlone: Math.round((rate('cold') / (report.scryptAlonePerSecond as { bounded: number }).bounded) * 100) / 100,
    };
    report.loadAfter = loadavg()[0].toFixed(1);
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    child.kill('SIGTERM');
  }
}
