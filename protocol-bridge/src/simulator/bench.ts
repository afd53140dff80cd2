import { spawn } from 'node:child_process';
import path from 'node:path';
import { createLogger } from '@evcs/platform';
import { startBenchBridge } from './bench-bridge';
import { runSimulators } from './index';

/**
 * Benchmark: simulated chargers through whole sessions against one bridge
 * (in process) with real Kafka and Postgres — every message acknowledged only
 * after Kafka accepted its event, transaction ids from Postgres.
 *
 *   node protocol-bridge/dist/src/simulator/bench.js [--ocpp 200] [--ykc 50] [--interval-ms 200] [--duration 15] [--procs P]
 */
function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}

async function main(): Promise<void> {
  const ocpp = arg('ocpp', 200);
  const ykc = arg('ykc', 50);
  const intervalMs = arg('interval-ms', 200);
  const duration = arg('duration', 15);
  /** >0: run the OCPP simulators in this many separate processes (no YKC), so the bridge is measured alone */
  const procs = arg('procs', 0);
  const logger = createLogger('bench', { level: 'warn' });
  const { port, ykcPort, password, events: published, booted, close } = await startBenchBridge({ logger });
  /**
   * Measured only once every simulator has booted: before, the window holds the connects (the
   * password check is scrypt, by design slow) and the boots, and reads as a slow bridge.
   */
  const warmUp = async (chargers: number) => {
    const t0 = Date.now();
    while (booted() < chargers && Date.now() - t0 < 180_000) await new Promise((r) => setTimeout(r, 100));
    process.stderr.write(`warm-up: ${booted()} of ${chargers} chargers booted in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  };
  try {
    if (procs > 0) {
      // Simulators in their own processes: the bridge process is measured alone.
      const children = Array.from({ length: procs }, (_, i) =>
        spawn(
          process.execPath,
          [
            path.join(__dirname, 'cli.js'),
            '--url',
            `ws://127.0.0.1:${port}/ocpp`,
            '--count',
            String(Math.ceil(ocpp / procs)),
            '--prefix',
            `BENCH${i}-`,
            '--interval-ms',
            String(intervalMs),
          ],
          {
            stdio: 'ignore',
            env: { ...process.env, SIM_CHARGER_PASSWORD: password },
          },
        ),
      );
      await warmUp(Math.ceil(ocpp / procs) * procs);
      const startEvents = published();
      const t0 = Date.now();
      const cpu0 = process.cpuUsage();
      await new Promise((r) => setTimeout(r, duration * 1000));
      const seconds = (Date.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      // The bridge is this process (simulators are children): its CPU per event is what a core can carry.
      const cpuUsPerEvent = (cpu.user + cpu.system) / Math.max(1, published() - startEvents);
      for (const c of children) c.kill('SIGINT');
      await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
      process.stdout.write(
        `${JSON.stringify(
          {
            ocpp,
            procs,
            intervalMs,
            seconds: Math.round(seconds),
            eventsPerSecond: Math.round((published() - startEvents) / seconds),
            bridgeCpuUsPerEvent: Math.round(cpuUsPerEvent),
            bridgeEventsPerCoreSecond: Math.round(1e6 / cpuUsPerEvent),
          },
          null,
          2,
        )}\n`,
      );
      return;
    }
    const fleet = await runSimulators({
      url: `ws://127.0.0.1:${port}/ocpp`,
      password: () => password,
      count: ocpp,
      prefix: 'BENCH-',
      intervalMs,
      meterValuesPerSession: 5,
      ykc: ykc > 0 ? { host: '127.0.0.1', port: ykcPort, count: ykc, pilePrefix: '9901' } : undefined,
      logger,
    });
    await warmUp(ocpp + ykc);
    const startEvents = published();
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, duration * 1000));
    const seconds = (Date.now() - t0) / 1000;
    const stats = fleet.stats();
    await fleet.stop();
    process.stdout.write(
      `${JSON.stringify({ ocpp, ykc, intervalMs, seconds: Math.round(seconds), eventsPerSecond: Math.round((published() - startEvents) / seconds), ...stats }, null, 2)}\n`,
    );
  } finally {
    await close();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
