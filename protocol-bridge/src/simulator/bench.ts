import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { createKnex, createLogger, EventBus, hashChargerPassword, KafkaEventBus, listen } from '@evcs/platform';
import { createTestDatabase, ensureKafka, uniqueName } from '@evcs/testkit';
import { bridgeConfig } from '../config';
import { registrationOf } from '../directory';
import type { ChargerDirectory } from '../ports';
import { simulatedPileIdentity } from './ykc-pile';
import { PgBridgeStore } from '../persistence/pg-store';
import { migrations } from '../persistence/schema';
import { createBridge } from '../server';
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
  const brokers = await ensureKafka();
  const topic = uniqueName('bench_events');
  const kafka = new KafkaEventBus({ clientId: uniqueName('bench'), brokers, logger });
  await kafka.ensureTopics([{ topic, partitions: 12 }]);
  let events = 0;
  const bus: EventBus = {
    ...kafka,
    publish: async (t, m) => (await kafka.publish(t, m), void (events += m.length)),
    subscribe: (o) => kafka.subscribe(o),
    ensureTopics: (s) => kafka.ensureTopics(s),
    close: () => kafka.close(),
  };
  const db = await createTestDatabase([migrations]);
  const store = new PgBridgeStore(createKnex({ connectionString: db.appUrl, schema: 'bridge', pool: { max: 10 } }));
  const tenantId = randomUUID();
  // Every code is a registered charger of one tenant with the same password (OCPP, profile 1: the scrypt check
  // at connect is part of what a bridge does) and its simulated login identity (YKC).
  const password = randomBytes(18).toString('base64url');
  const credentialHash = await hashChargerPassword(password);
  const directory: ChargerDirectory = {
    resolve: async (code) =>
      /^\d{14}$/.test(code)
        ? registrationOf({ tenantId, chargerId: code, protocol: 'YKC', ykcIdentity: simulatedPileIdentity(code, 2) })
        : registrationOf({ tenantId, chargerId: code, protocol: 'OCPP16', credentialHash }),
  };
  const bridge = createBridge({ bus, directory, logger, store, config: bridgeConfig({ bridgeId: 'bench', topic, heartbeatIntervalS: 300 }) });
  const port = await listen(bridge.httpServer, 0);
  const ykcPort = await new Promise<number>((resolve) =>
    bridge.ykcServer.listen(0, '127.0.0.1', () => resolve((bridge.ykcServer.address() as { port: number }).port)),
  );
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
      await new Promise((r) => setTimeout(r, 3000)); // connect and boot
      const startEvents = events;
      const t0 = Date.now();
      const cpu0 = process.cpuUsage();
      await new Promise((r) => setTimeout(r, duration * 1000));
      const seconds = (Date.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      // The bridge is this process (simulators are children): its CPU per event is what a core can carry.
      const cpuUsPerEvent = (cpu.user + cpu.system) / Math.max(1, events - startEvents);
      for (const c of children) c.kill('SIGINT');
      await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
      process.stdout.write(
        `${JSON.stringify(
          {
            ocpp,
            procs,
            intervalMs,
            seconds: Math.round(seconds),
            eventsPerSecond: Math.round((events - startEvents) / seconds),
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
    const startEvents = events;
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, duration * 1000));
    const seconds = (Date.now() - t0) / 1000;
    const stats = fleet.stats();
    await fleet.stop();
    process.stdout.write(
      `${JSON.stringify({ ocpp, ykc, intervalMs, seconds: Math.round(seconds), eventsPerSecond: Math.round((events - startEvents) / seconds), ...stats }, null, 2)}\n`,
    );
  } finally {
    await bridge.close();
    await store.close();
    await kafka.close();
    await db.drop();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
