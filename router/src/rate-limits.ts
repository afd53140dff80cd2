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

type Limiters = Record<keyof RateLimitSettings, RateLimiterAbstract | AggregatingLimiter>;

/**
 * A limit counted in this process first and told to the shared store (Postgres) in aggregate.
 *
 * Per key it keeps the shared count as of its last exchange with the store and
 * the points consumed here since. While the key is far from its limit (more
 * than `margin` points left), a request is counted locally and the pending
 * points are added to the store together every `flushEveryMs` (one upsert per
 * key and interval instead of one per request). The first request of a key in
 * this process, and every request once the key is near its limit, is counted
 * in the store at once, exactly as before, and so is the request that finds
 * `margin` points pending here (a burst reaches the store within the interval
 * anyway). Across N instances a limit can so be overrun by at most
 * (N − 1) × margin, and only within an interval in which the others have not
 * told the store yet; limits smaller than the minimum margin (sign-ins) are
 * always exact.
 */
export class AggregatingLimiter {
  private readonly keys = new Map<string, { shared: number; pending: number; resetAt: number }>();
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly margin: number;

  constructor(
    private readonly store: RateLimiterAbstract,
    private readonly limit: RateLimit,
    private readonly flushEveryMs = 200,
  ) {
    // a fifth of the limit, and at least 50 points: a limit of 5 sign-ins is always exact
    this.margin = Math.max(50, Math.ceil(limit.points / 5));
  }

  /** Resolves if the key may go on; rejects with a RateLimiterRes if its points are spent. */
  async consume(key: string): Promise<void> {
    const now = Date.now();
    const k = this.current(key, now);
    if (k && k.pending < this.margin && this.limit.points - k.shared - k.pending > this.margin) {
      k.pending++;
      this.scheduleFlush();
      return;
    }
    // Spent, as the store said in this window: refused here, without asking it again.
    if (k && k.shared > this.limit.points && now < k.resetAt) throw new RateLimiterRes(0, k.resetAt - now, k.shared, false);
    await this.exact(key, k, now);
  }

  /** What this process knows of the key in its current window, if anything. */
  private current(key: string, now: number): { shared: number; pending: number; resetAt: number } | undefined {
    const k = this.keys.get(key);
    if (!k || now < k.resetAt || k.pending > 0) return k;
    this.keys.delete(key);
    return undefined;
  }

  /** This request and whatever is pending, counted in the store now. */
  private async exact(key: string, k: { pending: number } | undefined, now: number): Promise<void> {
    const pending = k?.pending ?? 0;
    if (k) k.pending = 0;
    try {
      this.learn(key, await this.store.consume(key, 1 + pending), now);
    } catch (e) {
      if (e instanceof RateLimiterRes) this.learn(key, e, now);
      else if (k) k.pending += pending; // the store failed: keep what was counted here for the next flush
      throw e;
    }
  }

  private learn(key: string, res: RateLimiterRes, now: number): void {
    const k = this.keys.get(key);
    const resetAt = now + res.msBeforeNext;
    if (k) Object.assign(k, { shared: res.consumedPoints, resetAt });
    else this.keys.set(key, { shared: res.consumedPoints, pending: 0, resetAt });
  }

  private scheduleFlush(): void {
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => void this.flush(), this.flushEveryMs);
    this.flushTimer.unref();
  }

  /** Adds every key's pending points to the store and learns the shared counts back. */
  async flush(): Promise<void> {
    this.flushTimer = undefined;
    const now = Date.now();
    await Promise.all(
      [...this.keys].map(async ([key, k]) => {
        if (k.pending === 0) {
          if (now >= k.resetAt) this.keys.delete(key);
          return;
        }
        const points = k.pending;
        k.pending = 0;
        try {
          // penalty: counted whatever the total, never refused (these requests already went through)
          this.learn(key, await this.store.penalty(key, points), now);
        } catch {
          // the store failed (and its insurance too): count them again with the next flush
          k.pending += points;
          this.scheduleFlush();
        }
      }),
    );
  }
}

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
      const store = new RateLimiterPostgres({
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
      // Every request of every identity is counted: in aggregate, not one upsert per request.
      // Sign-ins and refreshes are few and their limits small: counted one by one.
      return name === 'requestsPerIdentity' ? new AggregatingLimiter(store, l) : store;
    });
  }

  /** Counters in this process only (one instance, tests). */
  static memory(settings: RateLimitSettings): RouterRateLimits {
    return RouterRateLimits.build(settings, (name, l) => new RateLimiterMemory({ keyPrefix: name, points: l.points, duration: l.durationSeconds }));
  }

  private static build(settings: RateLimitSettings, make: (name: string, l: RateLimit) => RateLimiterAbstract | AggregatingLimiter): RouterRateLimits {
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
