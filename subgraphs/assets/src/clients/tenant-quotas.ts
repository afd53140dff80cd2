import { AppError, ErrorCodes, TokenIssuer } from '@evcs/platform';
import { z } from 'zod';
import type { TenantQuotaPort, TenantQuotas } from '../domain/quota';

/** Issuer the subgraphs accept the assets service's own tokens from (see INTERNAL_ISSUERS). */
export const ASSETS_TOKEN_ISSUER = 'evcs-assets';

/** Service-only query of the tenants subgraph (@inaccessible in the supergraph: called on the subgraph directly). */
export const TENANT_QUOTAS_QUERY = 'query TenantQuotas($tenantId: ID!) { tenantQuotas(tenantId: $tenantId) { tenantId maxStations maxChargers } }';

const Limit = z.number().int().min(0).nullable();
const GraphQLResponse = z.object({
  data: z
    .object({
      tenantQuotas: z.object({ tenantId: z.string().min(1), maxStations: Limit, maxChargers: Limit }).nullable(),
    })
    .nullable()
    .optional(),
  errors: z.array(z.object({ message: z.string(), extensions: z.record(z.unknown()).optional() })).optional(),
});

export interface HttpTenantQuotasOptions {
  /** The tenants subgraph's GraphQL endpoint (not the router). */
  url: string;
  tokens: TokenIssuer;
  timeoutMs?: number;
  fetch?: typeof fetch;
  now?: () => number;
}

/** Renew a cached service token this long before it expires. */
const TOKEN_RENEW_MARGIN_MS = 10_000;

/**
 * TenantQuotaPort over HTTP: asks the tenants subgraph with a short-lived
 * service token signed by the assets service (as the bridge asks assets).
 * Anything but a well-formed answer — unreachable, timeout, HTTP error, a
 * GraphQL error (token refused, query not offered) — is DEPENDENCY_UNAVAILABLE,
 * retriable: the caller refuses the creation, it never assumes "unlimited".
 */
export class HttpTenantQuotas implements TenantQuotaPort {
  private token?: { value: string; renewAt: number };
  private readonly timeoutMs: number;
  private readonly fetch: typeof fetch;
  private readonly now: () => number;

  constructor(private readonly opts: HttpTenantQuotasOptions) {
    this.timeoutMs = opts.timeoutMs ?? 3_000;
    this.fetch = opts.fetch ?? globalThis.fetch;
    this.now = opts.now ?? Date.now;
  }

  async quotasOf(tenantId: string): Promise<TenantQuotas | null> {
    const unavailable = (message: string, cause?: unknown) =>
      new AppError(ErrorCodes.DEPENDENCY_UNAVAILABLE, `tenant quotas are unavailable (${message}); nothing was created, retry later`, {
        retriable: true,
        cause,
        details: { url: this.opts.url },
      });

    let response: Response;
    try {
      response = await this.fetch(this.opts.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${await this.serviceToken()}` },
        body: JSON.stringify({ query: TENANT_QUOTAS_QUERY, variables: { tenantId } }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      throw unavailable('request failed', e);
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch (e) {
      throw unavailable(`HTTP ${response.status} with a body that is not JSON`, e);
    }
    const parsed = GraphQLResponse.safeParse(body);
    if (!parsed.success) throw unavailable(`HTTP ${response.status} with an unexpected body`);
    const { data, errors } = parsed.data;
    if (errors?.length) {
      // A refused token is worth a fresh one next time.
      this.token = undefined;
      throw unavailable(errors.map((e) => `${String(e.extensions?.code ?? 'ERROR')}: ${e.message}`).join('; '));
    }
    if (!response.ok || !data) throw unavailable(`HTTP ${response.status}`);
    const q = data.tenantQuotas;
    if (q && q.tenantId !== tenantId) throw unavailable('answer for another tenant');
    return q;
  }

  private async serviceToken(): Promise<string> {
    if (this.token && this.token.renewAt > this.now()) return this.token.value;
    const value = await this.opts.tokens.issue({ subject: 'assets', kind: 'service', tenantId: null, roles: [], permissions: [] });
    this.token = { value, renewAt: tokenExpiry(value) - TOKEN_RENEW_MARGIN_MS };
    return value;
  }
}

/** Expiry (ms since epoch) read from a JWT's `exp`; 0 if it has none, so such a token is never reused. */
function tokenExpiry(jwt: string): number {
  try {
    const payload = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof payload.exp === 'number' ? payload.exp * 1000 : 0;
  } catch {
    return 0;
  }
}
