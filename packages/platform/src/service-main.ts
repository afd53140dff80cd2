import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { EventBus, KafkaEventBus, Subscription } from './bus';
import { createKnex, Knex } from './db';
import { envFields, kafkaNamespaceField, kafkaNames, KafkaNames, parseEnv } from './env';
import { listen } from './http';
import { TokenVerifier } from './identity';
import { createLogger, Logger } from './logger';
import type { SubgraphServer } from './subgraph';

/** Issuers whose internal tokens subgraphs accept. */
export const INTERNAL_ISSUERS = ['evcs-router', 'evcs-bridge', 'evcs-tenants', 'evcs-assets', 'evcs-orders', 'evcs-tariffs'];

export interface SubgraphRuntime {
  knex: Knex;
  verifier: TokenVerifier;
  logger: Logger;
  bus: EventBus;
  /** Topic and consumer-group names within this deployment's Kafka namespace. */
  names: KafkaNames;
}

export interface SubgraphMainOptions {
  name: string;
  defaultPort: number;
  createServer(rt: SubgraphRuntime): Promise<SubgraphServer>;
  /** Kafka consumers and other background work beside the HTTP server. Its `rt.knex` is the background pool (DB_BACKGROUND_POOL_MAX), not the API's. */
  startConsumers?(rt: SubgraphRuntime): Promise<Subscription[]>;
}

const Env = (defaultPort: number) =>
  z.object({
    PORT: envFields.port(defaultPort),
    DATABASE_URL: envFields.databaseUrl(),
    KAFKA_BROKERS: envFields.kafkaBrokers(),
    INTERNAL_JWKS_FILE: z.string({ required_error: 'path to the JWKS of internal token signers' }).min(1),
    LOG_LEVEL: envFields.logLevel(),
    KAFKA_NAMESPACE: kafkaNamespaceField(),
    DB_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
    /** Connections for consumers, relays and scheduled jobs — a pool of their own (see below). */
    DB_BACKGROUND_POOL_MAX: z.coerce.number().int().min(1).max(200).default(6),
  });

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

/** The `main` of every subgraph: read env, build dependencies, listen, drain on SIGTERM. */
export function runSubgraphMain(opts: SubgraphMainOptions): void {
  const run = async () => {
    const env = parseEnv(Env(opts.defaultPort));
    const logger = createLogger(opts.name, { level: env.LOG_LEVEL });
    const verifier = new TokenVerifier(JSON.parse(readFileSync(env.INTERNAL_JWKS_FILE, 'utf8')), INTERNAL_ISSUERS);
    const knex = createKnex({ connectionString: env.DATABASE_URL, schema: opts.name, pool: { max: env.DB_POOL_MAX } });
    // Background work gets its own pool: a consumer working off a backlog (several partitions
    // at once, a transaction per chunk) would otherwise hold the connections API requests wait
    // for, and a slow API must not stall consumption either.
    const backgroundKnex = createKnex({ connectionString: env.DATABASE_URL, schema: opts.name, pool: { max: env.DB_BACKGROUND_POOL_MAX } });
    const bus = new KafkaEventBus({ clientId: opts.name, brokers: env.KAFKA_BROKERS, logger });
    const rt: SubgraphRuntime = { knex, verifier, logger, bus, names: kafkaNames(env.KAFKA_NAMESPACE) };
    const consumers = opts.startConsumers ? await opts.startConsumers({ ...rt, knex: backgroundKnex }) : [];
    const srv = await opts.createServer(rt);
    const port = await listen(srv.server, env.PORT);
    logger.info({ port }, `${opts.name} subgraph listening on http://127.0.0.1:${port}/graphql`);
    let stopping = false;
    const shutdown = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'draining');
      await srv.stop();
      await Promise.allSettled(consumers.map((c) => c.stop()));
      await bus.close();
      await Promise.allSettled([knex.destroy(), backgroundKnex.destroy()]);
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
