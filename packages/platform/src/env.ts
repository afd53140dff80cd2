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
      )
      .describe(
        'Tenant ids (comma-separated) that get a `tenant` label on business metrics; any other tenant is `other`. Empty: no tenant label, so label values stay bounded.',
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
    ...observabilityEnvShape(),
  });
}

/** The metrics port when PORT is fixed and METRICS_PORT unset: far enough above every service port (4000 → 9400). */
export const METRICS_PORT_OFFSET = 5400;

/** Where /metrics is served, which tenants may be a label, how lag is watched (see the README's environment section). */
export function observabilityEnvShape() {
  return {
    /** Unset: PORT + 5400 (0 when PORT is 0: an ephemeral port, logged). */
    METRICS_PORT: z.coerce
      .number()
      .int()
      .min(0)
      .max(65535)
      .optional()
      .describe(
        'The internal port serving `/metrics` (Prometheus text format; never on the public listener). Unset: `PORT` + 5400; 0: an ephemeral port, logged.',
      ),
    /** Unset: HOST, the service's own listen address. */
    METRICS_HOST: z.string().min(1).optional().describe('Address the metrics port binds. Unset: `HOST`.'),
    /**
     * Tenant ids that get a `tenant` label on business metrics (any other tenant is `other`).
     * Empty (the default): no tenant label at all. A list, so the label's values stay bounded.
     */
    METRICS_TENANT_LABELS: z
      .string()
      .default('')
      .transform((s) =>
        s
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean),
      )
      .describe(
        'Tenant ids (comma-separated) that get a `tenant` label on business metrics; any other tenant is `other`. Empty: no tenant label, so label values stay bounded.',
      ),
    /** How often consumer lag is read from the broker (the lag gauge and readiness). */
    CONSUMER_LAG_INTERVAL_MS: z.coerce
      .number()
      .int()
      .min(1_000)
      .default(15_000)
      .describe('How often consumer lag is read from the broker, in ms (the lag gauge and readiness).'),
    /** More messages than this behind in one consumer group: the service is not ready. */
    READY_MAX_CONSUMER_LAG: z.coerce.number().int().min(0).default(10_000).describe('Messages behind in one consumer group above which `/health/ready` fails.'),
  };
}

/** The address the metrics port binds: METRICS_HOST, or the service's own HOST. */
export function metricsHostOf(env: { HOST: string; METRICS_HOST?: string }): string {
  return env.METRICS_HOST ?? env.HOST;
}

/** The metrics port a service listens on, from its PORT and METRICS_PORT. */
export function metricsPortOf(env: { PORT: number; METRICS_PORT?: number }): number {
  if (env.METRICS_PORT !== undefined) return env.METRICS_PORT;
  return env.PORT === 0 || env.PORT + METRICS_PORT_OFFSET > 65535 ? 0 : env.PORT + METRICS_PORT_OFFSET;
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
