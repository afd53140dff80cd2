import { createHash } from 'node:crypto';
import type { ServiceGraphQLClient } from '@evcs/platform';
import type { ChargerDirectory } from '../directory';
import type { BillingModel, PriceTier } from './messages/billing-model';
import type { BillingModelSource } from './server';

const QUERY = `query($c: ID!) {
  effectiveTariff(chargerId: $c) {
    plan { id versionAt { version ykcBillingModel { representable reasons slots tiers { tier energyPrice serviceFee } } } }
  }
}`;

interface Answer {
  effectiveTariff: {
    plan: {
      id: string;
      versionAt: { version: number; ykcBillingModel: { representable: boolean; reasons: string[]; slots: number[]; tiers: { tier: number; energyPrice: string; serviceFee: string }[] } } | null;
    } | null;
  } | null;
}

/** "0.6800" yuan/kWh → 68000 (10^-5 yuan), exactly. */
export function toFenThousandths(price: string): number {
  const m = /^(\d+)(?:\.(\d{1,5}))?$/.exec(price);
  if (!m) throw new RangeError(`not a price with at most 5 decimals: ${price}`);
  return Number(m[1]) * 100_000 + Number((m[2] ?? '').padEnd(5, '0'));
}

/**
 * The model number a pile shows and verifies (0x05): 4 BCD digits. Two from the
 * plan, two from its version, so a new version or another plan changes it.
 */
export function modelNumber(planId: string, version: number): string {
  const plan = createHash('sha256').update(planId).digest().readUInt16BE(0) % 100;
  return `${String(plan).padStart(2, '0')}${String(version % 100).padStart(2, '0')}`;
}

/**
 * What a YKC pile should bill with: the plan billing resolves for it (its
 * binding, its station's default, its tenant's default), as the tariffs
 * service converts it to 4 tiers × 48 half-hours. Null when the plan can't be
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
    const data = await this.tariffs.request<Answer>(QUERY, { c: reg.chargerId }, { tenantId });
    const plan = data.effectiveTariff?.plan;
    const v = plan?.versionAt;
    let model: BillingModel | null = null;
    if (plan && v && v.ykcBillingModel.representable) {
      const tiers = [0, 1, 2, 3].map((t): PriceTier => {
        const tier = v.ykcBillingModel.tiers.find((x) => x.tier === t);
        return tier ? { electricity: toFenThousandths(tier.energyPrice), service: toFenThousandths(tier.serviceFee) } : { electricity: 0, service: 0 };
      }) as BillingModel['tiers'];
      model = { pileNo, modelNo: modelNumber(plan.id, v.version), tiers, lossRatio: 0, slots: v.ykcBillingModel.slots };
    }
    if (this.cache.size > 50_000) this.cache.clear();
    this.cache.set(key, { model, until: Date.now() + this.ttlMs });
    return model;
  }
}
