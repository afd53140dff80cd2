import type { FleetCounts, Knex } from '@evcs/platform';

/**
 * The fleet gauges' source: chargers registered, online and charging, and connectors by status,
 * per tenant, through assets.fleet_counts() (counts only, across tenants). Read at most every
 * `maxAgeMs`: several Prometheus servers may scrape every assets instance.
 */
export class PgFleetCounts {
  private cached?: { at: number; counts: Promise<FleetCounts[]> };

  constructor(
    private readonly knex: Knex,
    private readonly maxAgeMs = 5_000,
  ) {}

  counts(): Promise<FleetCounts[]> {
    const now = Date.now();
    if (!this.cached || now - this.cached.at > this.maxAgeMs) {
      const counts = this.read();
      // a failed read is not kept: the next scrape asks again
      counts.catch(() => (this.cached = undefined));
      this.cached = { at: now, counts };
    }
    return this.cached.counts;
  }

  private async read(): Promise<FleetCounts[]> {
    const { rows } = await this.knex.raw<{
      rows: { tenant_id: string; status: string | null; chargers: string; online: string; charging: string; connectors: string }[];
    }>('select tenant_id, status, chargers, online, charging, connectors from assets.fleet_counts()');
    const byTenant = new Map<string, FleetCounts>();
    for (const r of rows) {
      const f = byTenant.get(r.tenant_id) ?? {
        tenantId: r.tenant_id,
        chargers: Number(r.chargers),
        online: Number(r.online),
        charging: Number(r.charging),
        connectors: {},
      };
      if (r.status) f.connectors[r.status] = Number(r.connectors);
      byTenant.set(r.tenant_id, f);
    }
    return [...byTenant.values()];
  }
}
