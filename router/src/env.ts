import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { ACCESS_EVENTS_TOPIC, CHARGER_EVENTS_TOPIC, COMMAND_UPDATES_TOPIC } from '@evcs/events';
import {
  AppError,
  commonEnv,
  envFields,
  ErrorCodes,
  kafkaNames,
  KafkaNames,
  metricsHostOf,
  metricsPortOf,
  parseEnv,
  trustedProxiesField,
} from '@evcs/platform';
import { DEFAULT_QUERY_LIMITS, type QueryLimits } from './limits';
import { DEFAULT_RATE_LIMITS, type RateLimit, type RateLimitSettings } from './rate-limits';

/** Repository root, from router/dist/src. Relative paths in the environment are resolved against it. */
export const REPO_ROOT = path.resolve(__dirname, '../../..');

const SUBGRAPH_URL_PREFIX = 'SUBGRAPH_URL_';

/** `N/S`: N per S seconds (`10/60`); the description says what is counted, and the default. */
const rateLimit = (def: RateLimit, what: string) =>
  z
    .string()
    .regex(/^[1-9][0-9]{0,8}\/[1-9][0-9]{0,6}$/, 'N/S: N requests per S seconds, e.g. 10/60')
    .optional()
    .transform((v): RateLimit => {
      if (!v) return def;
      const [points, durationSeconds] = v.split('/').map(Number);
      return { points, durationSeconds };
    })
    .describe(
      `${what}, as N/S (N per S seconds; default ${def.points}/${def.durationSeconds}), across router instances; beyond: 429 with Retry-After (RATE_LIMITED).`,
    );

/** The router's variables beside the common ones; topics are named within KAFKA_NAMESPACE, like every service's. */
export const RouterEnvSchema = commonEnv(4000).extend({
  SUPERGRAPH_PATH: z
    .string()
    .min(1)
    .default('schema/supergraph.graphql')
    .describe('The composed supergraph (`npm run schema:write`); relative paths from the repository root.'),
  AUTH_JWKS_URL: z
    .string()
    .url()
    .optional()
    .describe(
      "The tenants service's JWKS URL, which client access tokens are verified with (follows key rotation). Exactly one of AUTH_JWKS_URL and AUTH_JWKS_FILE.",
    ),
  AUTH_JWKS_FILE: z.string().min(1).optional().describe('A JWKS file instead of AUTH_JWKS_URL (exactly one of the two).'),
  ROUTER_SIGNING_KEY_FILE: z
    .string({ required_error: "path to the router's private JWK for internal tokens" })
    .min(1)
    .describe('Private JWK the router signs internal tokens with (issuer `evcs-router`).'),
  INSTANCE_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,100}$/, 'letters, digits, dot, dash, underscore (names a Kafka consumer group)')
    .default(`${os.hostname()}-${process.pid}`)
    .describe("This instance's name: its own Kafka consumer groups (every instance sees every charger event and revocation)."),
  ROUTER_TRUSTED_PROXIES: trustedProxiesField().describe(
    "The edge's addresses or CIDRs, comma-separated (also proxy-addr's names `loopback`, `linklocal`, `uniquelocal`): only from these is X-Forwarded-For believed (the edge: docs/operations.md). Empty: the socket's peer is the client.",
  ),
  ROUTER_MAX_DEPTH: envFields
    .positiveInt(DEFAULT_QUERY_LIMITS.maxDepth)
    .describe('Deepest selection an operation may have (HTTP and graphql-ws); deeper is refused with MAX_DEPTH_EXCEEDED.'),
  ROUTER_MAX_ALIASES: envFields.positiveInt(DEFAULT_QUERY_LIMITS.maxAliases).describe('Most aliases in one operation; more is refused (MAX_ALIASES_EXCEEDED).'),
  ROUTER_MAX_DIRECTIVES: envFields
    .positiveInt(DEFAULT_QUERY_LIMITS.maxDirectives)
    .describe('Most directives in one operation; more is refused (MAX_DIRECTIVES_EXCEEDED).'),
  ROUTER_MAX_TOKENS: envFields
    .positiveInt(DEFAULT_QUERY_LIMITS.maxTokens)
    .describe('Most lexical tokens in one document; more is refused (MAX_TOKENS_EXCEEDED).'),
  ROUTER_MAX_COST: envFields
    .positiveInt(DEFAULT_QUERY_LIMITS.maxCost)
    .describe(
      "Highest cost an operation may have (fields weighted by their lists' page sizes; a 500-station page with chargers and connectors costs ~21,000); more is refused (MAX_COST_EXCEEDED).",
    ),
  NODE_ENV: z.string().optional().describe('`development` turns introspection and field suggestions on (unless ROUTER_INTROSPECTION says otherwise).'),
  DATABASE_URL: envFields.databaseUrl().describe("Postgres (application role): the router's own schema, rate-limit counters shared by every instance."),
  ROUTER_RATE_SIGNIN_PER_IP: rateLimit(DEFAULT_RATE_LIMITS.signInPerIp, 'Sign-ins per client address'),
  ROUTER_RATE_SIGNIN_PER_USERNAME: rateLimit(DEFAULT_RATE_LIMITS.signInPerUsername, 'Sign-ins per tenant and username'),
  ROUTER_RATE_REFRESH_PER_IP: rateLimit(DEFAULT_RATE_LIMITS.refreshPerIp, 'Token refreshes per client address'),
  ROUTER_RATE_REQUESTS_PER_IDENTITY: rateLimit(DEFAULT_RATE_LIMITS.requestsPerIdentity, 'Requests per signed-in identity'),
  ROUTER_DEDUPE_INFLIGHT: z
    .enum(['true', 'false', '1', '0'])
    .default('true')
    .describe(
      'Share one subgraph fetch between identical queries (same subgraph operation and variables) of the same identity from the same client address that are in flight at the same time; mutations never. Default on.',
    ),
  ROUTER_INTROSPECTION: z
    .enum(['true', 'false', '1', '0'])
    .optional()
    .describe('Introspection and field suggestions on or off; unset: on only when NODE_ENV=development.'),
});
const Env = RouterEnvSchema;

export interface RouterEnv {
  port: number;
  /** the address the listener binds (HOST) */
  host: string;
  supergraphPath: string;
  kafkaBrokers: string[];
  /** topics and consumer groups within KAFKA_NAMESPACE */
  names: KafkaNames;
  /** charger events (the bridge's) and access revocations (the tenants subgraph's), within KAFKA_NAMESPACE */
  chargerEventsTopic: string;
  commandUpdatesTopic: string;
  accessEventsTopic: string;
  /** exactly one of these two */
  authJwksUrl?: string;
  authJwksFile?: string;
  signingKeyFile: string;
  instanceId: string;
  /** ROUTER_TRUSTED_PROXIES: whose X-Forwarded-For is believed */
  trustedProxies: string[];
  logLevel: z.infer<typeof Env>['LOG_LEVEL'];
  /** From SUBGRAPH_URL_<NAME>: subgraph name (lower-cased NAME) → URL. */
  subgraphUrls: Record<string, string>;
  /** /metrics: METRICS_PORT (default PORT + 5400), METRICS_HOST; lag read every lagIntervalMs; readiness's lag threshold */
  metrics: { port: number; host: string; lagIntervalMs: number; readyMaxLag: number };
  queryLimits: QueryLimits;
  databaseUrl: string;
  rateLimits: RateLimitSettings;
  /** ROUTER_DEDUPE_INFLIGHT */
  dedupeInflight: boolean;
}

/** Parse the router's environment once; every problem is reported together. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): RouterEnv {
  const problems: string[] = [];
  const subgraphUrls: Record<string, string> = {};
  for (const [key, value] of Object.entries(source)) {
    if (!key.startsWith(SUBGRAPH_URL_PREFIX) || value === undefined) continue;
    const name = key.slice(SUBGRAPH_URL_PREFIX.length).toLowerCase();
    if (!/^[a-z0-9_]+$/.test(name)) problems.push(`  - ${key}: not a subgraph name`);
    else if (!z.string().url().safeParse(value).success || !/^https?:/.test(value)) problems.push(`  - ${key}: must be an http(s) URL`);
    else subgraphUrls[name] = value;
  }
  let env: z.infer<typeof Env> | undefined;
  try {
    env = parseEnv(Env, source);
  } catch (e) {
    problems.unshift(...(e as Error).message.split('\n').slice(1));
  }
  if (!source.AUTH_JWKS_URL === !source.AUTH_JWKS_FILE) {
    problems.push('  - AUTH_JWKS_URL / AUTH_JWKS_FILE: set exactly one (the public keys client access tokens are verified with)');
  }
  if (!env || problems.length > 0) throw new AppError(ErrorCodes.INVALID_CONFIGURATION, `Invalid environment:\n${problems.join('\n')}`);
  const fromRoot = (p: string) => path.resolve(REPO_ROOT, p);
  const names = kafkaNames(env.KAFKA_NAMESPACE);
  return {
    port: env.PORT,
    host: env.HOST,
    supergraphPath: fromRoot(env.SUPERGRAPH_PATH),
    kafkaBrokers: env.KAFKA_BROKERS,
    names,
    chargerEventsTopic: names.topic(CHARGER_EVENTS_TOPIC),
    commandUpdatesTopic: names.topic(COMMAND_UPDATES_TOPIC),
    accessEventsTopic: names.topic(ACCESS_EVENTS_TOPIC),
    authJwksUrl: env.AUTH_JWKS_URL,
    authJwksFile: env.AUTH_JWKS_FILE ? fromRoot(env.AUTH_JWKS_FILE) : undefined,
    signingKeyFile: fromRoot(env.ROUTER_SIGNING_KEY_FILE),
    instanceId: env.INSTANCE_ID,
    trustedProxies: env.ROUTER_TRUSTED_PROXIES,
    logLevel: env.LOG_LEVEL,
    subgraphUrls,
    metrics: {
      port: metricsPortOf(env),
      host: metricsHostOf(env),
      lagIntervalMs: env.CONSUMER_LAG_INTERVAL_MS,
      readyMaxLag: env.READY_MAX_CONSUMER_LAG,
    },
    databaseUrl: env.DATABASE_URL,
    dedupeInflight: ['true', '1'].includes(env.ROUTER_DEDUPE_INFLIGHT),
    rateLimits: {
      signInPerIp: env.ROUTER_RATE_SIGNIN_PER_IP,
      signInPerUsername: env.ROUTER_RATE_SIGNIN_PER_USERNAME,
      refreshPerIp: env.ROUTER_RATE_REFRESH_PER_IP,
      requestsPerIdentity: env.ROUTER_RATE_REQUESTS_PER_IDENTITY,
    },
    queryLimits: {
      maxDepth: env.ROUTER_MAX_DEPTH,
      maxAliases: env.ROUTER_MAX_ALIASES,
      maxDirectives: env.ROUTER_MAX_DIRECTIVES,
      maxTokens: env.ROUTER_MAX_TOKENS,
      maxCost: env.ROUTER_MAX_COST,
      // Off unless asked for: a deployment that forgets NODE_ENV does not publish its schema.
      introspection: env.ROUTER_INTROSPECTION === undefined ? env.NODE_ENV === 'development' : ['true', '1'].includes(env.ROUTER_INTROSPECTION),
    },
  };
}
