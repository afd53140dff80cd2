import { readFile } from 'node:fs/promises';
import { CHARGER_EVENTS_PARTITIONS } from '@evcs/events';
import { createLogger, importSigningKey, KafkaEventBus, listen, parseEnv, TokenIssuer } from '@evcs/platform';
import { bridgeConfig } from './config';
import { GraphQLChargerDirectory } from './directory';
import { BridgeEnv } from './env';
import { createBridge } from './server';

/** Issuer subgraphs accept from the bridge (see INTERNAL_ISSUERS). */
const TOKEN_ISSUER = 'evcs-bridge';

async function main(): Promise<void> {
  const env = parseEnv(BridgeEnv);
  const logger = createLogger('protocol-bridge', { level: env.LOG_LEVEL });
  const signingKey = await importSigningKey(await readFile(env.BRIDGE_SIGNING_KEY_FILE, 'utf8'));
  const directory = new GraphQLChargerDirectory({ url: env.ASSETS_URL, tokens: new TokenIssuer(signingKey, TOKEN_ISSUER) });
  const bus = new KafkaEventBus({ clientId: `protocol-bridge-${env.BRIDGE_ID}`, brokers: env.KAFKA_BROKERS, logger });
  await bus.ensureTopics([{ topic: env.CHARGER_EVENTS_TOPIC, partitions: CHARGER_EVENTS_PARTITIONS }]);

  const bridge = createBridge({
    bus,
    directory,
    logger,
    config: bridgeConfig({
      bridgeId: env.BRIDGE_ID,
      heartbeatIntervalS: env.HEARTBEAT_INTERVAL_S,
      topic: env.CHARGER_EVENTS_TOPIC,
      shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    }),
  });
  const port = await listen(bridge.httpServer, env.PORT, env.HOST);
  logger.info({ port, bridgeId: env.BRIDGE_ID, topic: env.CHARGER_EVENTS_TOPIC }, 'started');
  process.stdout.write(`protocol-bridge listening on ws://${env.HOST}:${port}/ocpp\n`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, connections: bridge.connectionCount }, 'draining');
    try {
      // Bridge first: chargers' disconnect events still need the bus.
      await bridge.close();
      await bus.close();
      process.exit(0);
    } catch (err) {
      logger.error({ err }, 'unclean shutdown');
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((e: unknown) => {
  // The logger may not exist yet (bad env); stderr always does.
  process.stderr.write(`protocol-bridge failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
