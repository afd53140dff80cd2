import { readFileSync } from 'node:fs';
import { DEAD_LETTERS_PARTITIONS, DEAD_LETTERS_TOPIC } from '@evcs/events';
import { z } from 'zod';
import { EventBus, KafkaEventBus, Subscription, TopicSpec } from './bus';
import type { BusinessMetrics } from './business-metrics';
import { DeadLetterRecorder, PgDeadLetterStore } from './dead-letter';
import { createKnex, Knex } from './db';
import { commonEnv, envFields, kafkaNames, KafkaNames, metricsHostOf, metricsPortOf, parseEnv } from './env';
import { listen } from './http';
import type { TokenVerifier } from './identity';
import { internalTokenVerifier } from './internal-tokens';
import { startIntervalJob } from './jobs';
import { createLogger, Logger } from './logger';
import { createBusinessMetrics, ConsumerLagMonitor, startMetricsServer } from './metrics';
import { OutboxRelay, PgOutbox } from './outbox';
import { kafkaReadinessChecks } from './readiness';
import { stopTracing } from './tracing/sdk';
import type { SubgraphServer } from './subgraph';

export interface SubgraphRuntime {
  knex: Knex;
  verifier: TokenVerifier;
  logger: Logger;
  bus: EventBus;
  /** Topic and consumer-group names within this deployment's Kafka namespace. */
  names: KafkaNames;
  /** The service's outbox relay, when it declares one: wake it after a commit that enqueued, to publish now rather than at its next poll. */
  outbox?: { wake(): void };
  /** Where its consumers' dead letters go, when it declares them (`deadLetters.for(consumer)` is a subscription's sink). */
  deadLetters?: DeadLetterRecorder;
  /** Where domain services report business events (orders, payments, the fleet). */
  business: BusinessMetrics;
}

/** What every subgraph reads (see the README's environment section); a subgraph declares only its own variables beside these. */
export const subgraphEnv = (defaultPort: number) =>
  commonEnv(defaultPort).extend({
    DATABASE_URL: envFields.databaseUrl().describe('Postgres URL; services connect as the application role (`evcs_app`, row-level security applies).'),
    INTERNAL_JWKS_FILE: z
      .string({ required_error: 'path to the JWKS of internal token signers' })
      .min(1)
      .describe('Public keys (JWKS file) of the internal-token signers: router, bridge, tenants, assets, orders, tariffs.'),
    DB_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10).describe('Connections for API requests.'),
    // a pool of its own (see runSubgraphMain), so neither starves the other
    DB_BACKGROUND_POOL_MAX: z.coerce
      .number()
      .int()
      .min(1)
      .max(200)
      .default(6)
      .describe("Connections for Kafka consumers, outbox relays and scheduled jobs: a pool apart from the API's, so neither starves the other."),
  });
export type SubgraphEnv = z.infer<ReturnType<typeof subgraphEnv>>;

/** A job run every `everyMs` on the background pool, never overlapping itself (startIntervalJob). */
export interface SubgraphJob<E, D> {
  name: string;
  everyMs: number | ((env: E) => number);
  firstAfterMs?: number;
  run(rt: SubgraphRuntime, env: E, shared: D, signal: AbortSignal): Promise<unknown>;
}

/**
 * A subgraph's `main`, as a declaration. The runner parses the environment once (the common
 * variables and `env` together: every problem in one message, exit 1, before anything
 * connects), builds the runtime, starts the outbox relay, consumers and jobs, listens, and
 * drains it all on SIGTERM.
 */
export interface SubgraphMainOptions<S extends z.ZodRawShape, D> {
  name: string;
  defaultPort: number;
  /** the subgraph's own variables */
  env?: z.ZodObject<S>;
  /** Built once, before the server, consumers and jobs, which all get it (clients of other services, payment channels). `close` runs at the end of a drain. */
  shared?(env: SubgraphEnv & z.infer<z.ZodObject<S>>, logger: Logger): Promise<D> | D;
  /**
   * The platform's outbox relay over `<schema>.outbox` (schema default: the name), on the
   * background pool; `prepare` creates `topics` (base names, namespaced here) before the first
   * publish, so the service starts without Kafka and the relay catches up.
   */
  outbox?: { schema?: string; topics: TopicSpec[]; idleMs?: number };
  /** Topics the consumers read (base names, namespaced here), created before they start. */
  consumes?: TopicSpec[];
  /**
   * The consumers' dead letters: kept in `<schema>.dead_letters` (schema default: the name; see
   * createDeadLetters) and published to evcs.dead-letters.v1 (namespaced, created here) — `rt.deadLetters`.
   */
  deadLetters?: { schema?: string };
  /** Kafka consumers beside the HTTP server. Their `rt.knex` is the background pool (DB_BACKGROUND_POOL_MAX), not the API's. */
  consumers?(rt: SubgraphRuntime, env: SubgraphEnv & z.infer<z.ZodObject<S>>, shared: D): Promise<Subscription[]>;
  jobs?: SubgraphJob<SubgraphEnv & z.infer<z.ZodObject<S>>, D>[];
  createServer(rt: SubgraphRuntime, env: SubgraphEnv & z.infer<z.ZodObject<S>>, shared: D): Promise<SubgraphServer>;
}

/**
 * Also stop when the process that started this one is gone: with EVCS_EXIT_WITH_PARENT=1
 * the parent holds our stdin open, and its end of the pipe closes however it died (even
 * SIGKILL) — so a dev stack whose supervisor was killed leaves no services holding ports.
 */
export function exitWithParent(shutdown: (reason: string) => void): void {
  if (process.env.EVCS_EXIT_WITH_PARENT !== '1') return;
  const gone = () => {
    shutdown('parent gone');
    // A drain that can't finish (its logs now go to a closed pipe, its peers are stopping too)
    // must not keep the process: out after a grace period whatever happens.
    setTimeout(() => process.exit(1), 15_000).unref();
  };
  process.stdin.on('data', () => undefined);
  process.stdin.once('close', gone);
  process.stdin.once('end', gone);
}

/** The dead-letter recorder a declaration asks for, on the background pool (where consumers run). */
function deadLettersOf(
  opts: { name: string; deadLetters?: { schema?: string } },
  knex: Knex,
  bus: EventBus,
  names: KafkaNames,
  logger: Logger,
): DeadLetterRecorder | undefined {
  if (!opts.deadLetters) return undefined;
  const store = new PgDeadLetterStore(knex, opts.deadLetters.schema ?? opts.name);
  return new DeadLetterRecorder({ store, bus, topic: names.topic(DEAD_LETTERS_TOPIC), logger });
}

/**
 * The Kafka side of a subgraph's readiness: its consumers' lag read on an interval, the producer
 * connected from the start when the service publishes (its outbox relay), the checks on the server.
 */
function watchKafka(bus: KafkaEventBus, srv: SubgraphServer, env: SubgraphEnv, produces: boolean, logger: Logger): ConsumerLagMonitor {
  const lag = new ConsumerLagMonitor(bus, { everyMs: env.CONSUMER_LAG_INTERVAL_MS, logger }).start();
  if (produces) bus.connectProducer().catch((e: unknown) => logger.warn({ err: e }, 'Kafka producer not connected yet'));
  srv.addReadinessChecks(...kafkaReadinessChecks({ bus, produces, lagByGroup: () => lag.lagByGroup(), maxLag: env.READY_MAX_CONSUMER_LAG }));
  return lag;
}

/** The `main` of every subgraph: read env, build dependencies, listen, drain on SIGTERM. */
export function runSubgraphMain<S extends z.ZodRawShape = Record<never, never>, D extends object = Record<never, never>>(
  opts: SubgraphMainOptions<S, D>,
): void {
  type Env = SubgraphEnv & z.infer<z.ZodObject<S>>;
  const run = async () => {
    const env = parseEnv(subgraphEnv(opts.defaultPort).merge(opts.env ?? z.object({}))) as Env;
    const logger = createLogger(opts.name, { level: env.LOG_LEVEL });
    const verifier = internalTokenVerifier(JSON.parse(readFileSync(env.INTERNAL_JWKS_FILE, 'utf8')));
    const shared = ((await opts.shared?.(env, logger)) ?? {}) as D;
    // Before anything connects: the metrics port is free or the service does not start.
    const metrics = await startMetricsServer({ port: metricsPortOf(env), host: metricsHostOf(env), logger, service: opts.name });
    const business = createBusinessMetrics({ tenantLabels: env.METRICS_TENANT_LABELS });
    const knex = createKnex({ connectionString: env.DATABASE_URL, schema: opts.name, pool: { max: env.DB_POOL_MAX }, metricsPool: 'api' });
    // Background work gets its own pool: a consumer working off a backlog (several partitions
    // at once, a transaction per chunk) would otherwise hold the connections API requests wait
    // for, and a slow API must not stall consumption either.
    const backgroundKnex = createKnex({
      connectionString: env.DATABASE_URL,
      schema: opts.name,
      pool: { max: env.DB_BACKGROUND_POOL_MAX },
      metricsPool: 'background',
    });
    const bus = new KafkaEventBus({ clientId: opts.name, brokers: env.KAFKA_BROKERS, logger });
    const names = kafkaNames(env.KAFKA_NAMESPACE);
    const namespaced = (specs: TopicSpec[]) => specs.map((t) => ({ ...t, topic: names.topic(t.topic) }));
    const declared = opts.outbox;
    const relay = declared
      ? new OutboxRelay({
          outbox: new PgOutbox(backgroundKnex, declared.schema ?? opts.name),
          bus,
          names,
          logger,
          idleMs: declared.idleMs,
          prepare: () => bus.ensureTopics(namespaced(declared.topics)),
        })
      : undefined;
    const deadLetters = deadLettersOf(opts, backgroundKnex, bus, names, logger);
    const rt: SubgraphRuntime = {
      knex,
      verifier,
      logger,
      bus,
      names,
      business,
      ...(relay ? { outbox: { wake: () => relay.wake() } } : {}),
      ...(deadLetters ? { deadLetters } : {}),
    };
    const background: SubgraphRuntime = { ...rt, knex: backgroundKnex };
    relay?.start();
    // The dead-letter topic is produced to by consumers only: created with what they read.
    const topics = [...(opts.consumes ?? []), ...(deadLetters ? [{ topic: DEAD_LETTERS_TOPIC, partitions: DEAD_LETTERS_PARTITIONS }] : [])];
    if (topics.length) await bus.ensureTopics(namespaced(topics));
    const consumers = opts.consumers ? await opts.consumers(background, env, shared) : [];
    const jobs = (opts.jobs ?? []).map((j) =>
      startIntervalJob(
        {
          name: j.name,
          everyMs: typeof j.everyMs === 'function' ? j.everyMs(env) : j.everyMs,
          firstAfterMs: j.firstAfterMs,
          run: (signal) => j.run(background, env, shared, signal),
        },
        logger,
      ),
    );
    const srv = await opts.createServer(rt, env, shared);
    const lag = watchKafka(bus, srv, env, Boolean(relay), logger);
    const port = await listen(srv.server, env.PORT, env.HOST);
    logger.info({ host: env.HOST, port }, `${opts.name} subgraph listening on ${env.HOST}:${port}, /graphql`);
    let stopping = false;
    const shutdown = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'draining');
      await srv.stop();
      await Promise.allSettled([...jobs.map((j) => j.stop()), ...consumers.map((c) => c.stop()), lag.stop()]);
      // after everything that enqueues; rows it had no time for go out at the next start
      await relay?.stop();
      await Promise.resolve()
        .then(() => (shared as { close?(): unknown }).close?.())
        .catch((e: unknown) => logger.warn({ err: e }, 'closing shared dependencies failed'));
      await bus.close();
      await Promise.allSettled([knex.destroy(), backgroundKnex.destroy(), metrics.close()]);
      await stopTracing().catch(() => undefined);
      process.exit(0);
    };
    process.once('SIGTERM', () => void shutdown('SIGTERM'));
    exitWithParent((why) => void shutdown(why));
    process.once('SIGINT', () => void shutdown('SIGINT'));
  };
  run().catch((e) => {
    // The logger may not exist yet (bad env); stderr is the one channel that always does.
    process.stderr.write(`${opts.name} failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
