import { AppError, ErrorCodes, isAppError, type ServiceGraphQLClient } from '@evcs/platform';
import { z } from 'zod';
import type { TenantQuotaPort } from '../domain/ports';
import type { TenantQuotas } from '../domain/quota';

/** Issuer the subgraphs accept the assets service's own tokens from (see INTERNAL_ISSUERS). */
export const ASSETS_TOKEN_ISSUER = 'evcs-assets';

/** Service-only query of the tenants subgraph (@inaccessible in the supergraph: called on the subgraph directly). */
export const TENANT_QUOTAS_QUERY = 'query TenantQuotas($tenantId: ID!) { tenantQuotas(tenantId: $tenantId) { tenantId maxStations maxChargers } }';

const Limit = z.number().int().min(0).nullable();
const Answer = z.object({ tenantQuotas: z.object({ tenantId: z.string().min(1), maxStations: Limit, maxChargers: Limit }).nullable() });

/**
 * TenantQuotaPort over HTTP: asks the tenants subgraph (its own URL, not the
 * router) as the assets service, through the client given. Anything but a
 * well-formed answer — unreachable, timeout, HTTP error, a GraphQL error (token
 * refused, query not offered) — is DEPENDENCY_UNAVAILABLE, retriable: the
 * caller refuses the creation, it never assumes "unlimited".
 */
export class HttpTenantQuotas implements TenantQuotaPort {
  constructor(private readonly tenants: ServiceGraphQLClient) {}

  async quotasOf(tenantId: string): Promise<TenantQuotas | null> {
    const unavailable = (message: string, cause?: unknown) =>
      new AppError(ErrorCodes.DEPENDENCY_UNAVAILABLE, `tenant quotas are unavailable (${message}); nothing was created, retry later`, {
        retriable: true,
        cause,
      });

    let data: unknown;
    try {
      // A platform-level token (no tenant): the query names the tenant it is about.
      data = await this.tenants.request<unknown>(TENANT_QUOTAS_QUERY, { tenantId });
    } catch (e) {
      // The tenants service's own words for what it refused; where it is stays in the cause (logs), not in an operator's error.
      const reason = isAppError(e) && e.code !== ErrorCodes.DEPENDENCY_UNAVAILABLE ? `${e.code}: ${e.message}` : 'no answer';
      throw unavailable(reason, e);
    }
    const parsed = Answer.safeParse(data);
    if (!parsed.success) throw unavailable('an answer of an unexpected shape');
    const q = parsed.data.tenantQuotas;
    if (q && q.tenantId !== tenantId) throw unavailable('answer for another tenant');
    return q;
  }
}
