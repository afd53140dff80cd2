import { AppError, ErrorCodes } from './errors';
import type { TokenIssuer } from './identity';
import { serviceScopesOf } from './internal-tokens';

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
}

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

  constructor(private readonly opts: ServiceClientOptions) {
    this.fetch = opts.fetch ?? fetch;
    this.now = opts.now ?? Date.now;
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
    const res = await this.post(JSON.stringify({ query, variables }), token);
    const body = (await res.json().catch(() => null)) as { data?: T | null; errors?: { message: string; extensions?: { code?: string } }[] } | null;
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
  private async post(body: string, token: Promise<string>): Promise<Response> {
    let res: Response;
    try {
      res = await this.fetch(this.opts.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await token}` },
        body,
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 5_000),
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
