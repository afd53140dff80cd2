// First: tracing instruments http, pg and undici as they load (off unless OTEL_* ask for it).
import '@evcs/platform/tracing';
import { readFile } from 'node:fs/promises';
import { CHARGER_EVENTS_PARTITIONS } from '@evcs/events';
import {
  ConsumerLagMonitor,
  createKnex,
  createLogger,
  exitWithParent,
  importSigningKey,
  kafkaReadinessChecks,
  KafkaEventBus,
  listen,
  metricsHostOf,
  metricsPortOf,
  parseEnv,
  pingDatabase,
  startMetricsServer,
  ServiceGraphQLClient,
  stopTracing,
  TokenIssuer,
} from '@evcs/platform';
import { bridgeConfig } from './config';
import { GraphQLSecurityRecorder } from './connections/charger-security';
import { GraphQLChargerDirectory } from './directory';
import { GraphQLIdTagAuthority } from './id-tags';
import { PgLocalListStore } from './persistence/local-list-store';
import { BridgeEnv, bridgeTopics } from './env';
import { PgBridgeStore } from './persistence/pg-store';
import { loadDesKeyring } from './ykc/des';
import { TariffsBillingModelSource } from './ykc/tariff-models';
import { createBridge } from './server';

/** Issuer subgraphs accept from the bridge (see INTERNAL_ISSUERS). */
const TOKEN_ISSUER = 'evcs-bridge';

async function main(): Promise<void> {
  const env = parseEnv(BridgeEnv);
  const topics = bridgeTopics(env);
  const logger = createLogger('protocol-bridge', { level: env.LOG_LEVEL });
  const metrics = await startMetricsServer({ port: metricsPortOf(env), host: metricsHostOf(env), logger, service: 'protocol-bridge' });
  const signingKey = await importSigningKey(await readFile(env.BRIDGE_SIGNING_KEY_FILE, 'utf8'));
  const tls =
    env.TLS_KEY_FILE && env.TLS_CERT_FILE ? { key: await readFile(env.TLS_KEY_FILE, 'utf8'), cert: await readFile(env.TLS_CERT_FILE, 'utf8') } : undefined;
  const desKeys = await loadDesKeyring(env.YKC_DES_KEYS_FILE, env.YKC_DES_MODE);
  const tokens = new TokenIssuer(signingKey, TOKEN_ISSUER);
  const assets = new ServiceGraphQLClient({ url: env.ASSETS_URL, tokens, subject: 'protocol-bridge' });
  const directory = new GraphQLChargerDirectory(assets);
  const security = new GraphQLSecurityRecorder(assets, logger);
  // YKC piles ask for their billing model (0x09): the tariffs service's plan for them, converted.
  const billingModels = new TariffsBillingModelSource(
    new ServiceGraphQLClient({ url: env.TARIFFS_URL, tokens, subject: 'protocol-bridge', timeoutMs: 3_000 }),
    directory,
  );
  const idTags = new GraphQLIdTagAuthority(new ServiceGraphQLClient({ url: env.TENANTS_URL, tokens, subject: 'protocol-bridge', timeoutMs: 3_000 }));
  const bus = new KafkaEventBus({ clientId: `protocol-bridge-${env.BRIDGE_ID}`, brokers: env.KAFKA_BROKERS, logger });
  await bus.ensureTopics([{ topic: topics.topic, partitions: CHARGER_EVENTS_PARTITIONS }]);
  const knex = createKnex({
    connectionString: env.DATABASE_URL,
    schema: 'bridge',
    pool: { max: 10 },
    applicationName: 'protocol-bridge',
    metricsPool: 'bridge',
  });
  const store = new PgBridgeStore(knex);
  // Every charger message waits for its event on Kafka: the producer is connected from the start.
  bus.connectProducer().catch((e: unknown) => logger.warn({ err: e }, 'Kafka producer not connected yet'));
  const lag = new ConsumerLagMonitor(bus, { everyMs: env.CONSUMER_LAG_INTERVAL_MS, logger });

  const bridge = createBridge({
    bus,
    directory,
    security,
    billingModels,
    idTags,
    desKeys,
    localListStore: new PgLocalListStore(knex),
    logger,
    store,
    tls,
    debugToken: env.DEBUG_TOKEN,
    readiness: [
      { name: 'database', check: () => pingDatabase(knex) },
      ...kafkaReadinessChecks({ bus, produces: true, lagByGroup: () => lag.lagByGroup(), maxLag: env.READY_MAX_CONSUMER_LAG }),
    ],
    config: bridgeConfig({
      bridgeId: env.BRIDGE_ID,
      heartbeatIntervalS: env.HEARTBEAT_INTERVAL_S,
      ...topics,
      ykcCardBalanceFen: env.YKC_CARD_BALANCE_FEN,
      diagnosticsUploadSecret: env.DIAGNOSTICS_UPLOAD_SECRET,
      trustedProxies: env.BRIDGE_TRUSTED_PROXIES,
      shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
      pingIntervalMs: env.PING_INTERVAL_MS,
      authCacheTtlMs: env.BRIDGE_AUTH_CACHE_TTL_S * 1000,
      authCacheMaxEntries: env.BRIDGE_AUTH_CACHE_MAX,
      scryptConcurrency: env.BRIDGE_SCRYPT_CONCURRENCY,
    }),
  });
  await bridge.startCommands();
  lag.start();
  const port = await listen(bridge.httpServer, env.PORT, env.HOST);
  const ykcPort = await new Promise<number>((resolve, reject) => {
    bridge.ykcServer.once('error', reject);
    bridge.ykcServer.listen(env.YKC_PORT, env.YKC_HOST ?? env.HOST, () => {
      const addr = bridge.ykcServer.address();
      resolve(typeof addr === 'object' && addr ? addr.port : env.YKC_PORT);
    });
  });
  const scheme = tls ? 'wss' : 'ws';
  logger.info({ port, ykcPort, ykcDesKeys: desKeys.size, tls: Boolean(tls), bridgeId: env.BRIDGE_ID, topic: topics.topic }, 'started');
  process.stdout.write(`protocol-bridge listening on ${scheme}://${env.HOST}:${port}/ocpp and tcp://${env.YKC_HOST ?? env.HOST}:${ykcPort} (YKC)\n`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, connections: bridge.connectionCount }, 'draining');
    try {
      // Bridge first: chargers' disconnect events still need the bus.
      await bridge.close();
      await lag.stop();
      await bus.close();
      await store.close();
      await metrics.close();
      await stopTracing().catch(() => undefined);
      process.exit(0);
    } catch (err) {
      logger.error({ err }, 'unclean shutdown');
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  exitWithParent((why) => void shutdown(why));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((e: unknown) => {
  // The logger may not exist yet (bad env); stderr always does.
  process.stderr.write(`protocol-bridge failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
