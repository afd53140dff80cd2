import { BrokenCircuitError, circuitBreaker, ConsecutiveBreaker, CircuitState, handleWhen, TaskCancelledError, timeout, TimeoutStrategy } from 'cockatiel';
import { AppError, ErrorCodes, isAppError } from './errors';
import type { TokenIssuer } from './identity';
import { serviceScopesOf } from './internal-tokens';

export interface DependencyGuardOptions {
  /** the callee, in messages */
  name: string;
  /** the whole call, answer body included */
  timeoutMs: number;
  /** consecutive failures that open the circuit. Default 5. */
  failuresToOpen?: number;
  /** how long an open circuit refuses calls before one may try again. Default 5 s. */
  halfOpenAfterMs?: number;
}

const isDependencyFailure = (e: Error) => isAppError(e) && e.code === ErrorCodes.DEPENDENCY_UNAVAILABLE;

/**
 * The one timeout and circuit breaker of every call from one platform service to
 * another (router → subgraphs, orders → assets and tariffs, bridge → assets,
 * tariffs and tenants…), one per callee. A call gets a signal that aborts at its
 * deadline and is given up then, whether or not it heeds the signal (a stalled
 * callee holds nothing of ours). After `failuresToOpen` consecutive dependency
 * failures (unreachable, 5xx/429, timed out) the circuit opens: calls fail at
 * once, without reaching the callee, until `halfOpenAfterMs` has passed and one
 * call finds out whether it is back. Every refusal is DEPENDENCY_UNAVAILABLE
 * (retriable); answers that are errors of the callee's own (NOT_FOUND…) do not count.
 */
export class DependencyGuard {
  private readonly breaker;
  private readonly deadline;

  constructor(private readonly opts: DependencyGuardOptions) {
    this.breaker = circuitBreaker(handleWhen(isDependencyFailure), {
      halfOpenAfter: opts.halfOpenAfterMs ?? 5_000,
      breaker: new ConsecutiveBreaker(opts.failuresToOpen ?? 5),
    });
    // abortOnReturn off: cockatiel would otherwise abort every call's signal once it returned —
    // a DOMException with its stack built per call (~1 % of the router's CPU), for nothing: a call
    // that returned has nothing left in flight. A call that times out is still aborted.
    this.deadline = timeout(opts.timeoutMs, { strategy: TimeoutStrategy.Aggressive, abortOnReturn: false });
  }

  /** Whether calls currently go through (`closed`, or `half-open` for a trial) or are refused (`open`). */
  get state(): 'closed' | 'open' | 'half-open' {
    const s = this.breaker.state;
    return s === CircuitState.Closed ? 'closed' : s === CircuitState.HalfOpen ? 'half-open' : 'open';
  }

  async run<T>(call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const { name, timeoutMs } = this.opts;
    try {
      return await this.breaker.execute(async () => {
        try {
          return await this.deadline.execute((_ctx, signal) => call(signal));
        } catch (e) {
          if (e instanceof TaskCancelledError) {
            throw new AppError(ErrorCodes.DEPENDENCY_UNAVAILABLE, `${name} did not answer within ${timeoutMs} ms`, { retriable: true, cause: e });
          }
          throw e;
        }
      });
    } catch (e) {
      if (e instanceof BrokenCircuitError) {
        throw new AppError(ErrorCodes.DEPENDENCY_UNAVAILABLE, `${name} is failing; not called for now (circuit open)`, { retriable: true, cause: e });
      }
      throw e;
    }
  }
}

export interface ServiceClientOptions {
  /** a subgraph's own URL (service-only fields are @inaccessible through the router) */
  url: string;
  /** signs this service's tokens (issuer evcs-<service>) */
  tokens: TokenIssuer;
  /** the service's name: the token subject */
  subject: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** The clock token reuse is measured on (tests move it). */
  now?: () => number;
  /** Circuit breaker settings (DependencyGuard); the timeout is `timeoutMs`. */
  breaker?: Pick<DependencyGuardOptions, 'failuresToOpen' | 'halfOpenAfterMs'>;
}

type Answer<T> = { data?: T | null; errors?: { message: string; extensions?: { code?: string } }[] } | null;

/** Tokens this client issues live 60 s, whatever the issuer's default, and are reused for half of it. */
const TOKEN_TTL_S = 60;
const REUSE_MS = 30_000;

/**
 * GraphQL calls from one platform service to another, as a service identity.
 * With a tenant, the token acts for that tenant only (tid, TENANT scope), so the
 * callee's row-level security and scope rules apply as for anyone else. Errors
 * keep their codes; an unreachable or failing callee is DEPENDENCY_UNAVAILABLE
 * (retriable). A token the callee refuses (UNAUTHENTICATED) is not reused.
 */
export class ServiceGraphQLClient {
  private readonly tokens = new Map<string, { token: Promise<string>; at: number }>();
  private readonly fetch: typeof fetch;
  private readonly now: () => number;

  private readonly guard: DependencyGuard;

  constructor(private readonly opts: ServiceClientOptions) {
    this.fetch = opts.fetch ?? fetch;
    this.now = opts.now ?? Date.now;
    this.guard = new DependencyGuard({ name: new URL(opts.url).host, timeoutMs: opts.timeoutMs ?? 5_000, ...opts.breaker });
  }

  /** The callee's circuit: `open` while calls are refused without being made. */
  get circuit(): DependencyGuard['state'] {
    return this.guard.state;
  }

  private token(tenantId: string | null): Promise<string> {
    const key = tenantId ?? '';
    const hit = this.tokens.get(key);
    if (hit && this.now() - hit.at < REUSE_MS) return hit.token;
    if (this.tokens.size > 10_000) this.tokens.clear();
    const token = this.opts.tokens.issue(
      {
        subject: this.opts.subject,
        kind: 'service',
        tenantId,
        roles: [],
        // explicit, and no more than the issuer's grant: subgraphs refuse a token claiming more
        permissions: serviceScopesOf(this.opts.tokens.issuer),
        ...(tenantId ? { dataScope: 'TENANT' as const, visibleTenantIds: [tenantId] } : {}),
      },
      TOKEN_TTL_S,
    );
    this.tokens.set(key, { token, at: this.now() });
    token.catch(() => this.tokens.delete(key));
    return token;
  }

  async request<T>(query: string, variables: Record<string, unknown>, opts: { tenantId?: string | null } = {}): Promise<T> {
    const key = opts.tenantId ?? '';
    const token = this.token(opts.tenantId ?? null);
    const payload = JSON.stringify({ query, variables });
    // the answer's body is read inside the deadline too: a callee may stall after its headers
    const body = await this.guard.run(async (signal) => (await (await this.post(payload, token, signal)).json().catch(() => null)) as Answer<T>);
    if (!body) throw new AppError(ErrorCodes.DEPENDENCY_UNAVAILABLE, 'unreadable answer', { retriable: true });
    if (body.errors?.length) {
      const e = body.errors[0];
      // A refused token (a key the callee doesn't trust yet, clock skew) is worth a fresh one next time.
      // Only that token: a concurrent call may have cached a newer one.
      if (e.extensions?.code === ErrorCodes.UNAUTHENTICATED && this.tokens.get(key)?.token === token) this.tokens.delete(key);
      throw new AppError(e.extensions?.code ?? ErrorCodes.INTERNAL, e.message);
    }
    if (!body.data) throw new AppError(ErrorCodes.INTERNAL, 'answer without data');
    return body.data;
  }

  /** POST to the callee; an unreachable or overloaded callee is a retriable dependency failure. */
  private async post(body: string, token: Promise<string>, signal: AbortSignal): Promise<Response> {
    let res: Response;
    try {
      res = await this.fetch(this.opts.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await token}` },
        body,
        signal,
      });
    } catch (e) {
      throw new AppError(ErrorCodes.DEPENDENCY_UNAVAILABLE, `${new URL(this.opts.url).host} is unreachable`, { retriable: true, cause: e });
    }
    if (res.status >= 500 || res.status === 429) {
      throw new AppError(ErrorCodes.DEPENDENCY_UNAVAILABLE, `${new URL(this.opts.url).host} answered HTTP ${res.status}`, { retriable: true });
    }
    return res;
  }
}
