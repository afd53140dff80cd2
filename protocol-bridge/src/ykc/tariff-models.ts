import type { ServiceGraphQLClient } from '@evcs/platform';
import { z } from 'zod';
import type { ChargerDirectory } from '../ports';
import type { BillingModel } from './messages/billing-model';
import type { BillingModelSource } from '../ports';

// The station goes with the charger: an unbound pile inherits its station's default,
// and orders prices its sessions with the same resolution (priceSession with the station).
const QUERY = `query($c: ID!, $s: ID) {
  effectiveTariff(chargerId: $c, stationId: $s) {
    plan { versionAt { ykcBillingModel { representable modelNo slots tiers { tier energyRate serviceRate } } } }
  }
}`;

/** Rates are read as the integers tariffs sends (yuan ×10^5); the bridge converts no prices. */
const rate = z.number().int().min(0).max(0xffffffff);
const Answer = z.object({
  effectiveTariff: z
    .object({
      plan: z
        .object({
          versionAt: z
            .object({
              ykcBillingModel: z.object({
                representable: z.boolean(),
                modelNo: z.string().regex(/^\d{4}$/),
                slots: z.array(z.number().int().min(0).max(3)).length(48),
                tiers: z.array(z.object({ tier: z.number().int().min(0).max(3), energyRate: rate, serviceRate: rate })),
              }),
            })
            .nullable(),
        })
        .nullable(),
    })
    .nullable(),
});

/**
 * What a YKC pile should bill with: the plan billing resolves for it (its
 * binding, its station's default, its tenant's default), as the tariffs
 * service converts it to 4 tiers × 48 half-hours — the platform's only
 * conversion; this only lays it out for the codec. Null when the plan can't be
 * represented or none applies — the pile keeps its own, and the bridge counts it.
 * Answers are cached briefly: piles ask at every login.
 */
export class TariffsBillingModelSource implements BillingModelSource {
  private readonly cache = new Map<string, { model: BillingModel | null; until: number }>();

  constructor(
    private readonly tariffs: ServiceGraphQLClient,
    private readonly directory: ChargerDirectory,
    private readonly ttlMs = 60_000,
  ) {}

  forget(tenantId: string): void {
    for (const key of this.cache.keys()) if (key.startsWith(`${tenantId}/`)) this.cache.delete(key);
  }

  async modelFor(tenantId: string, pileNo: string): Promise<BillingModel | null> {
    const key = `${tenantId}/${pileNo}`;
    const hit = this.cache.get(key);
    if (hit && hit.until > Date.now()) return hit.model;
    const reg = await this.directory.resolve(pileNo);
    if (!reg || reg.tenantId !== tenantId) return null;
    const data = Answer.parse(await this.tariffs.request<unknown>(QUERY, { c: reg.chargerId, s: reg.stationId ?? null }, { tenantId }));
    const m = data.effectiveTariff?.plan?.versionAt?.ykcBillingModel;
    let model: BillingModel | null = null;
    if (m?.representable) {
      const tier = (t: number) => {
        const found = m.tiers.find((x) => x.tier === t);
        if (!found) throw new Error(`tariffs' YKC model lacks tier ${t}`);
        return { electricity: found.energyRate, service: found.serviceRate };
      };
      // Tariffs keeps no loss ratio: the pile bills the metered energy as it is.
      model = { pileNo, modelNo: m.modelNo, tiers: [tier(0), tier(1), tier(2), tier(3)], lossRatio: 0, slots: m.slots };
    }
    if (this.cache.size > 50_000) this.cache.clear();
    this.cache.set(key, { model, until: Date.now() + this.ttlMs });
    return model;
  }
}
