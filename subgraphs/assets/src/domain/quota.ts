import type { TenantQuotaPort } from './ports';

/** A tenant's limits as the tenants service holds them; null = unlimited. */
export interface TenantQuotas {
  tenantId: string;
  maxStations: number | null;
  maxChargers: number | null;
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
