/**
 * A bridge as a child process, for tests that kill it (SIGKILL, no drain).
 * Env: KAFKA_BROKERS, TOPIC, DATABASE_URL, PORT, YKC_PORT, BRIDGE_ID, DIRECTORY (JSON: code → registration).
 */
import { createKnex, createLogger, KafkaEventBus, listen } from '@evcs/platform';
import { bridgeConfig } from '../../src/config';
import { ChargerRegistrationEntry, InMemoryChargerDirectory } from '../../src/directory';
import { PgBridgeStore } from '../../src/persistence/pg-store';
import { createBridge } from '../../src/server';

async function main(): Promise<void> {
  const env = process.env as Record<string, string>;
  const logger = createLogger('bridge-child', { level: env.LOG_LEVEL ?? 'silent' });
  const bus = new KafkaEventBus({ clientId: `bridge-child-${env.BRIDGE_ID}`, brokers: env.KAFKA_BROKERS.split(','), logger });
  const store = new PgBridgeStore(createKnex({ connectionString: env.DATABASE_URL, schema: 'bridge', pool: { max: 4 } }));
  const bridge = createBridge({
    bus,
    store,
    logger,
    directory: new InMemoryChargerDirectory(JSON.parse(env.DIRECTORY) as Record<string, ChargerRegistrationEntry>),
    config: bridgeConfig({ bridgeId: env.BRIDGE_ID, heartbeatIntervalS: 60, topic: env.TOPIC }),
  });
  await listen(bridge.httpServer, Number(env.PORT));
  await new Promise<void>((resolve) => bridge.ykcServer.listen(Number(env.YKC_PORT), '127.0.0.1', resolve));
  process.send?.('ready');
}

main().catch((e: unknown) => {
  process.stderr.write(`bridge child failed: ${String(e)}\n`);
  process.exit(1);
});
