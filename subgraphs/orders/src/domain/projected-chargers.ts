import { LRUCache } from 'lru-cache';
import type { ChargerDirectory, ChargerHint, ChargerInfo, ChargerProjectionStore, ChargerSnapshot } from './ports';

/** Hints kept per process: a few hundred bytes each, so ~25 MiB at the bound. */
const HINTS_MAX = 100_000;

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
  /**
   * The snapshots read from the projection, by tenant and charger. Never an answer by itself —
   * whoever acts on one has the database compare its revision in the acting statement — so it
   * needs no invalidation to be safe, only to be useful: a stale hint costs one wasted round trip.
   */
  private readonly hints = new LRUCache<string, ChargerHint>({ max: HINTS_MAX });

  constructor(
    private readonly projection: ChargerProjectionStore,
    private readonly fallback: ChargerDirectory,
  ) {}

  hint(tenantId: string, chargerId: string): ChargerHint | null {
    return this.hints.get(`${tenantId}:${chargerId}`) ?? null;
  }

  forgetHint(tenantId: string, chargerId: string): void {
    this.hints.delete(`${tenantId}:${chargerId}`);
  }

  async byId(tenantId: string, chargerId: string, connectorNo?: number): Promise<ChargerInfo | null> {
    const kept = await this.projection.byId(tenantId, chargerId);
    if (kept && !kept.retired) this.hints.set(`${tenantId}:${chargerId}`, { ...info(kept), revision: kept.revision });
    else this.forgetHint(tenantId, chargerId);
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
