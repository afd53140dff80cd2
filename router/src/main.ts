// First: tracing instruments http, pg and undici as they load (off unless OTEL_* ask for it).
import '@evcs/platform/tracing';
import { readFileSync } from 'node:fs';
import { ACCESS_EVENTS_PARTITIONS, ACCESS_EVENTS_TOPIC_CONFIG, CHARGER_EVENTS_PARTITIONS } from '@evcs/events';
import {
  ConsumerLagMonitor,
  createKnex,
  createLogger,
  exitWithParent,
  importSigningKey,
  kafkaReadinessChecks,
  KafkaEventBus,
  listen,
  startMetricsServer,
  stopTracing,
  TokenIssuer,
  TokenVerifier,
} from '@evcs/platform';
import { loadEnv } from './env';
import { migrations, RouterRateLimits } from './rate-limits';
import { createRouter } from './server';

/** Issuer and audience of client access tokens (minted by the tenants subgraph). */
const CLIENT_TOKEN_ISSUER = 'evcs-tenants';
const CLIENT_TOKEN_AUDIENCE = 'evcs-api';
const ROUTER_ISSUER = 'evcs-router';

async function main(): Promise<void> {
  const env = loadEnv();
  const logger = createLogger('router', { level: env.logLevel });
  const metrics = await startMetricsServer({ port: env.metrics.port, host: env.metrics.host, logger, service: 'router' });
  const supergraphSdl = readFileSync(env.supergraphPath, 'utf8');
  const clientKeys = env.authJwksUrl ? new URL(env.authJwksUrl) : JSON.parse(readFileSync(env.authJwksFile!, 'utf8'));
  const clientVerifier = new TokenVerifier(clientKeys, [CLIENT_TOKEN_ISSUER], CLIENT_TOKEN_AUDIENCE);
  const internalIssuer = new TokenIssuer(await importSigningKey(readFileSync(env.signingKeyFile, 'utf8')), ROUTER_ISSUER);
  // The router only consumes; no producer is ever created, so idempotence is moot.
  const bus = new KafkaEventBus({ clientId: `router-${env.instanceId}`, brokers: env.kafkaBrokers, logger, idempotent: false });
  await bus.ensureTopics([
    { topic: env.chargerEventsTopic, partitions: CHARGER_EVENTS_PARTITIONS },
    // created here too, with its retention, if the router starts before the tenants subgraph
    { topic: env.accessEventsTopic, partitions: ACCESS_EVENTS_PARTITIONS, config: ACCESS_EVENTS_TOPIC_CONFIG },
  ]);

  const lag = new ConsumerLagMonitor(bus, { everyMs: env.metrics.lagIntervalMs, logger });
  // rate-limit counters, shared with every other instance (the router's migration creates the table)
  const knex = createKnex({ connectionString: env.databaseUrl, schema: migrations.schema, pool: { max: 4 } });
  const router = await createRouter({
    supergraphSdl,
    subgraphUrls: env.subgraphUrls,
    clientVerifier,
    internalIssuer,
    bus,
    instanceId: env.instanceId,
    names: env.names,
    logger,
    chargerEventsTopic: env.chargerEventsTopic,
    commandUpdatesTopic: env.commandUpdatesTopic,
    accessEventsTopic: env.accessEventsTopic,
    trustedProxies: env.trustedProxies,
    readiness: kafkaReadinessChecks({ bus, produces: false, lagByGroup: () => lag.lagByGroup(), maxLag: env.metrics.readyMaxLag }),
    queryLimits: env.queryLimits,
    rateLimits: RouterRateLimits.postgres(knex, env.rateLimits),
    dedupeInflight: env.dedupeInflight,
  });
  lag.start();
  const port = await listen(router.httpServer, env.port, env.host);
  logger.info({ host: env.host, port, instanceId: env.instanceId }, `router listening on ${env.host}:${port}, /graphql`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'draining');
    try {
      await router.close();
      await lag.stop();
      await bus.close();
      await metrics.close();
      await knex.destroy();
      await stopTracing().catch(() => undefined);
    } catch (e) {
      logger.error({ err: e }, 'error while draining');
      process.exit(1);
    }
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  exitWithParent((why) => void shutdown(why));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((e: unknown) => {
  // The logger may not exist yet (bad env); stderr always does.
  process.stderr.write(`router failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
