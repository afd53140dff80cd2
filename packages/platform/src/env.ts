import { z } from 'zod';
import { AppError, ErrorCodes } from './errors';

/**
 * Parse the environment once, at the edge, into a typed object. All problems are
 * reported together so an operator fixes a misconfiguration in one pass.
 */
export function parseEnv<S extends z.ZodTypeAny>(schema: S, source: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const result = schema.safeParse(source);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `  - ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n');
    throw new AppError(ErrorCodes.INVALID_CONFIGURATION, `Invalid environment:\n${problems}`);
  }
  return result.data;
}

/** Common building blocks for service env schemas. */
export const envFields = {
  port: (def: number) => z.coerce.number().int().min(0).max(65535).default(def),
  /** The address a listener binds: loopback by default (a laptop), 0.0.0.0 or :: in a container. */
  host: () => z.string().min(1).default('127.0.0.1'),
  databaseUrl: () => z.string().url().default('postgres://evcs_app@127.0.0.1:5432/evcs'),
  kafkaBrokers: () =>
    z
      .string()
      .default('127.0.0.1:9092')
      .transform((s) =>
        s
          .split(',')
          .map((b) => b.trim())
          .filter(Boolean),
      ),
  logLevel: () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** A whole number of at least 1. */
  positiveInt: (def: number) => z.coerce.number().int().min(1).default(def),
};

/**
 * The variables every service reads, under one convention: the router, the bridge and each
 * subgraph extend this schema with their own and parse the whole once (parseEnv), so one
 * message names every problem, common or not, before anything connects.
 */
export function commonEnv(defaultPort: number) {
  return z.object({
    PORT: envFields.port(defaultPort).describe('Listen port (0: an ephemeral one). Defaults: the Ports table in the README.'),
    HOST: envFields.host().describe('Address the listener binds: loopback by default (a laptop), `0.0.0.0` or `::` in a container.'),
    LOG_LEVEL: envFields.logLevel().describe('pino log level.'),
    KAFKA_BROKERS: envFields.kafkaBrokers().describe('Kafka bootstrap brokers, comma-separated `host:port`.'),
    // topics and consumer groups are named with kafkaNames(KAFKA_NAMESPACE)
    KAFKA_NAMESPACE: kafkaNamespaceField().describe(
      'Prefix of every topic and consumer group (`<namespace>.`): several deployments or test suites can share a broker. Empty in production; there are no whole-name topic variables.',
    ),
  });
}

export const kafkaNamespaceField = () =>
  z
    .string()
    .regex(/^[a-z0-9_-]*$/, 'lowercase letters, digits, _ and - only')
    .default('');

/**
 * Several deployments (or concurrently running test suites) can share one broker:
 * a namespace prefixes every topic and consumer group. Empty in production.
 */
export interface KafkaNames {
  topic(base: string): string;
  group(base: string): string;
}
export function kafkaNames(namespace: string): KafkaNames {
  const p = namespace ? `${namespace}.` : '';
  return { topic: (b) => `${p}${b}`, group: (b) => `${p}${b}` };
}
