import path from 'node:path';
import { Kind, valueFromASTUntyped, type DocumentNode, type FieldNode, type OperationDefinitionNode } from 'graphql';
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { AppError, type Identity, type Knex, type SubgraphMigrations } from '@evcs/platform';
import { RouterErrorCodes } from './error-codes';

/** The router's Postgres schema (its rate-limit counters) and its migrations, run like every subgraph's. */
export const migrations: SubgraphMigrations = { schema: 'router', directory: path.join(__dirname, '../migrations') };

/** `points` per `durationSeconds`, counted per key. */
export interface RateLimit {
  points: number;
  durationSeconds: number;
}

export interface RateLimitSettings {
  /** sign-in attempts (`login`) from one client address */
  signInPerIp: RateLimit;
  /** sign-in attempts for one tenant and username, from anywhere */
  signInPerUsername: RateLimit;
  /** token refreshes (`refreshToken`) from one client address */
  refreshPerIp: RateLimit;
  /** requests of one signed-in identity */
  requestsPerIdentity: RateLimit;
}

export const DEFAULT_RATE_LIMITS: RateLimitSettings = {
  signInPerIp: { points: 10, durationSeconds: 60 },
  signInPerUsername: { points: 5, durationSeconds: 60 },
  refreshPerIp: { points: 30, durationSeconds: 60 },
  requestsPerIdentity: { points: 1200, durationSeconds: 60 },
};

export const RATE_LIMITED = RouterErrorCodes.RATE_LIMITED;

/** HTTP 429 with Retry-After: the client may try again in `retryAfterSeconds`. */
export class RateLimitedError extends AppError {
  readonly status = 429;
  constructor(
    readonly limit: keyof RateLimitSettings,
    readonly retryAfterSeconds: number,
  ) {
    super(RATE_LIMITED, `Too many requests; try again in ${retryAfterSeconds} s`, { retriable: true, details: { limit } });
  }
}

/** What a request costs: read from its verified identity and its parsed operation. */
export interface RateLimitedRequest {
  clientIp: string | undefined;
  identity: Identity | null;
  document: DocumentNode | undefined;
  operationName?: unknown;
  variables?: unknown;
}

type Limiters = Record<keyof RateLimitSettings, RateLimiterAbstract>;

const SIGN_IN_FIELD = 'login';
const REFRESH_FIELD = 'refreshToken';

/**
 * Rate limits at the router, before anything reaches a subgraph. The router is
 * where the client's address is known (subgraphs only learn it from the
 * router's token) and the one way in for every client; a sign-in refused here
 * costs no scrypt hash in tenants. Counters live in Postgres so that every
 * router instance counts together; if Postgres fails, each instance falls back
 * to counting in memory (rate-limiter-flexible's insurance limiter) rather than
 * letting everything through.
 */
export class RouterRateLimits {
  private constructor(private readonly limiters: Limiters) {}

  /** Counters in `router.rate_limits` (the router's migration creates it), shared by all instances. */
  static postgres(knex: Knex, settings: RateLimitSettings): RouterRateLimits {
    return RouterRateLimits.build(settings, (name, l) => {
      return new RateLimiterPostgres({
        storeClient: knex,
        storeType: 'knex',
        schemaName: 'router',
        tableName: 'rate_limits',
        tableCreated: true,
        clearExpiredByTimeout: true,
        keyPrefix: name,
        points: l.points,
        duration: l.durationSeconds,
        insuranceLimiter: new RateLimiterMemory({ keyPrefix: name, points: l.points, duration: l.durationSeconds }),
      });
    });
  }

  /** Counters in this process only (one instance, tests). */
  static memory(settings: RateLimitSettings): RouterRateLimits {
    return RouterRateLimits.build(settings, (name, l) => new RateLimiterMemory({ keyPrefix: name, points: l.points, duration: l.durationSeconds }));
  }

  private static build(settings: RateLimitSettings, make: (name: string, l: RateLimit) => RateLimiterAbstract): RouterRateLimits {
    const limiters = Object.fromEntries(Object.entries(settings).map(([name, l]) => [name, make(name, l as RateLimit)])) as Limiters;
    return new RouterRateLimits(limiters);
  }

  /**
   * Count what the request costs and throw RateLimitedError if any limit is
   * spent. Every `login` in the operation counts (aliases included), refused or not.
   */
  async check(req: RateLimitedRequest): Promise<void> {
    const ip = req.clientIp ?? 'unknown';
    if (req.identity) await this.consume('requestsPerIdentity', `${req.identity.tenantId ?? '-'}:${req.identity.subject}`);
    for (const field of rootFields(req.document, req.operationName)) {
      if (field.name.value === SIGN_IN_FIELD) {
        await this.consume('signInPerIp', ip);
        const who = signInUsername(field, req.variables);
        if (who) await this.consume('signInPerUsername', who);
      } else if (field.name.value === REFRESH_FIELD) {
        await this.consume('refreshPerIp', ip);
      }
    }
  }

  private async consume(limit: keyof RateLimitSettings, key: string): Promise<void> {
    try {
      await this.limiters[limit].consume(key);
    } catch (e) {
      if (e instanceof RateLimiterRes) throw new RateLimitedError(limit, Math.max(1, Math.ceil(e.msBeforeNext / 1000)));
      throw e;
    }
  }
}

function rootFields(document: DocumentNode | undefined, operationName: unknown): FieldNode[] {
  const ops = (document?.definitions ?? []).filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const op = typeof operationName === 'string' ? ops.find((o) => o.name?.value === operationName) : ops.length === 1 ? ops[0] : undefined;
  return (op?.selectionSet.selections ?? []).filter((s): s is FieldNode => s.kind === Kind.FIELD);
}

/** `tenantCode:username` of a `login(input: { tenantCode, username, … })`, as the tenants service normalises them. */
function signInUsername(field: FieldNode, variables: unknown): string | undefined {
  const arg = field.arguments?.find((a) => a.name.value === 'input');
  if (!arg) return undefined;
  const vars = variables && typeof variables === 'object' ? (variables as Record<string, unknown>) : undefined;
  const input = valueFromASTUntyped(arg.value, vars) as { tenantCode?: unknown; username?: unknown } | null | undefined;
  const { tenantCode, username } = input ?? {};
  if (typeof tenantCode !== 'string' || typeof username !== 'string') return undefined;
  return `${tenantCode.trim().toLowerCase()}:${username.trim().toLowerCase()}`.slice(0, 200);
}
