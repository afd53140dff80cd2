import { ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger, KafkaEventBus, Subscription } from '@evcs/platform';
import { ensureKafka, eventually, freePort, uniqueName } from '@evcs/testkit';
import { SimulatedChargePoint } from '../src/simulator';
import { SimulatedYkcPile } from '../src/simulator/ykc-pile';
import { BridgeDatabase, bridgeDatabase, collectEvents, Received, TEST_CHARGER_PASSWORD, testRegistration } from './support';

/** Retry `fn` until it succeeds: what a charger does with a message nobody acknowledged. */
async function untilAcknowledged<T>(fn: () => Promise<T>, deadline: number): Promise<T> {
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await sleep(100);
    }
  }
}

describe('killing a bridge mid-session loses nothing (real processes, Kafka, Postgres)', () => {
  const tenantId = randomUUID();
  const topic = uniqueName('crash_events');
  const logger = createLogger('crash-test', { level: process.env.LOG_LEVEL ?? 'silent' });
  const PILE = '51010600000009';
  let bus: KafkaEventBus;
  let database: BridgeDatabase;
  let subscription: Subscription;
  let received: Received[];
  let child: ChildProcess | undefined;
  let port: number;
  let ykcPort: number;
  let brokers: string[];

  async function startBridge(id: string): Promise<ChildProcess> {
    const c = fork(path.join(__dirname, 'support/bridge-process.js'), [], {
      env: {
        ...process.env,
        KAFKA_BROKERS: brokers.join(','),
        TOPIC: topic,
        DATABASE_URL: database.db.appUrl,
        PORT: String(port),
        YKC_PORT: String(ykcPort),
        BRIDGE_ID: id,
        DIRECTORY: JSON.stringify({
          'CRASH-CP': testRegistration('CRASH-CP', { tenantId, chargerId: randomUUID() }),
          [PILE]: testRegistration(PILE, { tenantId, chargerId: randomUUID() }),
        }),
      },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    await new Promise<void>((resolve, reject) => {
      c.once('message', () => resolve());
      c.once('exit', (code) => reject(new Error(`bridge child exited with ${code}`)));
    });
    return c;
  }

  beforeAll(async () => {
    brokers = await ensureKafka();
    bus = new KafkaEventBus({ clientId: uniqueName('crash-test'), brokers, logger });
    await bus.ensureTopics([{ topic, partitions: 3 }]);
    database = await bridgeDatabase();
    [port, ykcPort] = [await freePort(), await freePort()];
    ({ received, subscription } = await collectEvents(bus, topic));
  });

  afterAll(async () => {
    child?.kill('SIGKILL');
    await subscription?.stop();
    await bus?.close();
    await database?.close();
  });

  it('every acknowledged OCPP message and YKC record is on Kafka after a SIGKILL and a restart', async () => {
    child = await startBridge('crash-1');
    const deadline = Date.now() + 60_000;
    let cp: SimulatedChargePoint | undefined;
    const ocppSession = async () => {
      if (!cp?.isOpen) {
        cp = new SimulatedChargePoint({ url: `ws://127.0.0.1:${port}/ocpp`, id: 'CRASH-CP', password: TEST_CHARGER_PASSWORD, callTimeoutMs: 2000 });
        await cp.connect();
      }
      return cp;
    };
    let pile: SimulatedYkcPile | undefined;
    const ykcSession = async () => {
      if (!pile?.isOpen) {
        pile = new SimulatedYkcPile({ host: '127.0.0.1', port: ykcPort, pileNo: PILE, replyTimeoutMs: 1000 });
        await pile.connect();
        if (!(await pile.login())) throw new Error('login refused');
      }
      return pile;
    };

    const tx = await untilAcknowledged(async () => (await ocppSession()).startTransaction(1, 'CRASH-TAG', 0, new Date('2026-01-01T00:00:00Z')), deadline);
    const acknowledgedReadings: number[] = [];
    const confirmedSerials: string[] = [];
    const N = 40;
    // Mid-session, while calls are in flight: the bridge dies without draining, and comes back.
    const killer = (async () => {
      await eventually(async () => acknowledgedReadings.length >= N / 2, { timeoutMs: 30_000, intervalMs: 5 });
      child!.kill('SIGKILL');
      await new Promise((r) => child!.once('exit', r));
      child = await startBridge('crash-2');
    })();
    for (let i = 1; i <= N; i++) {
      await untilAcknowledged(async () => (await ocppSession()).meterValues(1, tx.transactionId, i * 100), deadline);
      acknowledgedReadings.push(i * 100);
      if (i % 10 === 0) {
        const serial = `${PILE}01260101000000${String(i).padStart(4, '0')}`;
        await untilAcknowledged(async () => {
          const p = await ykcSession();
          p.startSession(1, serial);
          p.charge(1, i * 10);
          return p.sendRecord(p.stopSession(1)!, { attempts: 1 });
        }, deadline);
        confirmedSerials.push(serial);
      }
    }
    await killer;
    const restartedTx = await untilAcknowledged(
      async () => (await ocppSession()).startTransaction(1, 'CRASH-TAG', 0, new Date('2026-01-01T00:00:00Z')),
      deadline,
    );
    expect(restartedTx.transactionId).toBe(tx.transactionId);

    const values = () =>
      new Set(
        received.flatMap((r) =>
          r.event.type === 'session.meter_values' && r.event.chargerId === 'CRASH-CP'
            ? r.event.data.readings.flatMap((x) => x.samples.map((s) => Number(s.value)))
            : [],
        ),
      );
    await eventually(async () => acknowledgedReadings.every((v) => values().has(v)), { timeoutMs: 30_000, what: 'every acknowledged meter reading on Kafka' });
    const recorded = () => new Set(received.flatMap((r) => (r.event.type === 'transaction.recorded' ? [r.event.data.transactionId] : [])));
    await eventually(async () => confirmedSerials.every((s) => recorded().has(s)), { timeoutMs: 30_000, what: 'every confirmed record on Kafka' });
    expect(acknowledgedReadings).toHaveLength(N);
    expect(confirmedSerials).toHaveLength(4);
    await cp?.close().catch(() => undefined);
    await pile?.close();
  });
});
