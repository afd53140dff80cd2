import { randomBytes, randomUUID } from 'node:crypto';
import { createKnex, EventBus, hashChargerPassword, KafkaEventBus, listen, type Logger } from '@evcs/platform';
import { createTestDatabase, ensureKafka, uniqueName } from '@evcs/testkit';
import { bridgeConfig, type BridgeConfig } from '../config';
import { registrationOf } from '../directory';
import type { ChargerDirectory } from '../ports';
import { PgBridgeStore } from '../persistence/pg-store';
import { migrations } from '../persistence/schema';
import { createBridge, type Bridge } from '../server';
import { simulatedPileIdentity } from './ykc-pile';

export interface BenchBridge {
  bridge: Bridge;
  port: number;
  ykcPort: number;
  /** every OCPP charger's password (unset with `profile0`) */
  password: string;
  /** events the bridge published so far */
  events(): number;
  /** chargers (OCPP and YKC) whose boot the bridge has published: the warm-up is over when all have */
  booted(): number;
  close(): Promise<void>;
}

/**
 * One bridge in this process for the benchmarks, with real Kafka (its own topic) and Postgres
 * (its own database). Every code is a registered charger of one tenant: OCPP with one shared
 * password (profile 1, so the scrypt check at connect is part of the work) — or, with
 * `profile0`, without one, let in by the tenant's commissioning policy — and YKC with its
 * simulated login identity.
 */
export async function startBenchBridge(opts: { logger: Logger; profile0?: boolean; config?: Partial<BridgeConfig> }): Promise<BenchBridge> {
  const { logger } = opts;
  const brokers = await ensureKafka();
  const topic = uniqueName('bench_events');
  const kafka = new KafkaEventBus({ clientId: uniqueName('bench'), brokers, logger });
  await kafka.ensureTopics([{ topic, partitions: 12 }]);
  let events = 0;
  const booted = new Set<string>();
  const bus: EventBus = {
    ...kafka,
    publish: async (t, m) => {
      await kafka.publish(t, m);
      events += m.length;
      for (const x of m) if (x.headers?.['event-type'] === 'charger.booted' && x.key) booted.add(x.key);
    },
    subscribe: (o) => kafka.subscribe(o),
    ensureTopics: (s) => kafka.ensureTopics(s),
    close: () => kafka.close(),
  };
  const db = await createTestDatabase([migrations]);
  const store = new PgBridgeStore(createKnex({ connectionString: db.appUrl, schema: 'bridge', pool: { max: 10 } }));
  const tenantId = randomUUID();
  const password = randomBytes(18).toString('base64url');
  const credentialHash = opts.profile0 ? null : await hashChargerPassword(password);
  const directory: ChargerDirectory = {
    resolve: async (code) =>
      /^\d{14}$/.test(code)
        ? registrationOf({ tenantId, chargerId: code, protocol: 'YKC', ykcIdentity: simulatedPileIdentity(code, 2) })
        : registrationOf({ tenantId, chargerId: code, protocol: 'OCPP16', credentialHash, allowProfile0Commissioning: opts.profile0 ?? false }),
  };
  const bridge = createBridge({
    bus,
    directory,
    logger,
    store,
    config: bridgeConfig({ bridgeId: 'bench', topic, heartbeatIntervalS: 300, ...opts.config }),
  });
  const port = await listen(bridge.httpServer, 0);
  const ykcPort = await new Promise<number>((resolve) =>
    bridge.ykcServer.listen(0, '127.0.0.1', () => resolve((bridge.ykcServer.address() as { port: number }).port)),
  );
  return {
    bridge,
    port,
    ykcPort,
    password,
    events: () => events,
    booted: () => booted.size,
    close: async () => {
      await bridge.close();
      await store.close();
      await kafka.close();
      await db.drop();
    },
  };
}
