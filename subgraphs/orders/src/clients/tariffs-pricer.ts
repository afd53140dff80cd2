import { AppError, ErrorCodes, money, type Money, type ServiceGraphQLClient } from '@evcs/platform';
import type { Bill, Pricer, PricingRequest } from '../domain/ports';

const M = '{ minor currency }';
const PRICE = `query($i: PriceSessionInput!) {
  priceSession(input: $i) {
    planId source planVersions currency timezone electricityAmount ${M} serviceAmount ${M} totalExact total ${M}
    items { planVersion segmentNo start end energyPrice serviceFee durationSeconds energy { wh } electricityAmount ${M} serviceAmount ${M} }
  }
}`;

type Item = Omit<Bill['items'][number], 'energyWh'> & { energy: { wh: string } };
type Priced = Omit<Bill, 'items'> & { items: Item[] };

// Validated again here: what is stored and charged is only ever a safe integer of a known currency.
const asMoney = (m: Money): Money => money(m.minor, m.currency);

/**
 * Prices sessions with the tariffs service's engine (one implementation, used
 * by every caller): its own plan cache, its charger → station → tenant
 * resolution and its version rules. Acts for the order's tenant.
 */
export class TariffsPricer implements Pricer {
  constructor(private readonly client: ServiceGraphQLClient) {}

  async price(req: PricingRequest): Promise<Bill> {
    if (!req.chargerId) throw new AppError(ErrorCodes.NOT_FOUND, 'a session on a charger the assets service does not know cannot be priced');
    // Samples when there are at least two readings; otherwise the total, spread evenly.
    const samples = req.readings.length >= 2 ? req.readings.map((r) => ({ at: r.at.toISOString(), meterWh: String(r.registerWh) })) : null;
    const data = await this.client.request<{ priceSession: Priced }>(
      PRICE,
      {
        i: {
          chargerId: req.chargerId,
          stationId: req.stationId,
          startedAt: req.startedAt.toISOString(),
          stoppedAt: req.stoppedAt.toISOString(),
          ...(samples ? { meterSamples: samples } : { energyWh: String(req.energyWh) }),
        },
      },
      { tenantId: req.tenantId },
    );
    const p = data.priceSession;
    return {
      ...p,
      electricityAmount: asMoney(p.electricityAmount),
      serviceAmount: asMoney(p.serviceAmount),
      total: asMoney(p.total),
      items: p.items.map(({ energy, ...i }) => ({
        ...i,
        energyWh: energy.wh,
        electricityAmount: asMoney(i.electricityAmount),
        serviceAmount: asMoney(i.serviceAmount),
      })),
    };
  }
}
