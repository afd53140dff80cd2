import type { ChargerDirectory, ChargerInfo, ChargerProjectionStore, ChargerSnapshot } from './ports';

const info = (s: ChargerSnapshot): ChargerInfo => ({
  chargerId: s.chargerId,
  code: s.code,
  stationId: s.stationId,
  timezone: s.timezone ?? null,
  protocol: s.protocol,
  connectorNos: s.connectorNos,
});

/**
 * The chargers a start and the charger-events consumer need, read from orders' own projection
 * (one local read instead of an HTTP call to assets and its database). Read-your-writes: a
 * charger registered a moment ago whose event has not been projected yet is not missing — it
 * is asked of assets (the service call, `fallback`) and the answer is kept, so the next start
 * on it is local too; the first event then overwrites it. A charger the projection knows as
 * retired is not asked again, and one whose copy lacks the connector a start asks for is asked
 * again (the answer not kept: the event that says so is on its way). What the projection can lag behind by is the relay and the
 * consumer: a charger retired or moved a moment ago may be seen as it was for that long.
 */
export class ProjectedChargerDirectory implements ChargerDirectory {
  constructor(
    private readonly projection: ChargerProjectionStore,
    private readonly fallback: ChargerDirectory,
  ) {}

  async byId(tenantId: string, chargerId: string, connectorNo?: number): Promise<ChargerInfo | null> {
    const kept = await this.projection.byId(tenantId, chargerId);
    if (kept?.retired) return null;
    // A connector added a moment ago: assets knows it before the projection does.
    if (kept && connectorNo !== undefined && !kept.connectorNos.includes(connectorNo)) return this.fallback.byId(tenantId, chargerId, connectorNo);
    if (kept) return info(kept);
    return this.learn(tenantId, await this.fallback.byId(tenantId, chargerId));
  }

  async byCode(tenantId: string, code: string): Promise<ChargerInfo | null> {
    const kept = await this.projection.byCode(tenantId, code);
    if (kept) return info(kept);
    return this.learn(tenantId, await this.fallback.byCode(tenantId, code));
  }

  private async learn(tenantId: string, found: ChargerInfo | null): Promise<ChargerInfo | null> {
    if (found) await this.projection.remember(tenantId, found);
    return found;
  }
}
