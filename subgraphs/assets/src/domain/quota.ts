/** A tenant's limits as the tenants service holds them; null = unlimited. */
export interface TenantQuotas {
  tenantId: string;
  maxStations: number | null;
  maxChargers: number | null;
}

/**
 * Port: the quotas of a tenant, asked of the tenants service at the moment of
 * creation (quotas change rarely, creations are rare: no cache to go stale).
 *
 * - resolves `null` when the tenants service does not know the tenant: creation
 *   is refused (UNKNOWN_TENANT);
 * - throws an AppError with code DEPENDENCY_UNAVAILABLE and `retriable: true`
 *   when it cannot tell (unreachable, timed out, rejected our token, does not
 *   offer the query yet). Creation is then refused — never treated as unlimited.
 */
export interface TenantQuotaPort {
  quotasOf(tenantId: string): Promise<TenantQuotas | null>;
}

/** Fixed answers, for tests and tools that run the assets subgraph alone. */
export class StaticTenantQuotas implements TenantQuotaPort {
  constructor(private readonly quotas: Record<string, Omit<TenantQuotas, 'tenantId'>> | 'unlimited') {}

  async quotasOf(tenantId: string): Promise<TenantQuotas | null> {
    if (this.quotas === 'unlimited') return { tenantId, maxStations: null, maxChargers: null };
    const q = this.quotas[tenantId];
    return q ? { tenantId, ...q } : null;
  }
}
