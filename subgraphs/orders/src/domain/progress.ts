import { type Money, zeroMoney } from '@evcs/platform';
import type { MeterReading } from './meter';
import type { OrderRecord, Pricer, PricingRequest } from './ports';
import { pricingRequest } from './pricing-input';
import { ACTIVE_STATES } from './states';

/** Where a running session stands at its latest trusted meter reading. */
export interface SessionProgress {
  /** the latest trusted reading (register, and power and SoC when reported); null before the first */
  latest: MeterReading | null;
  /** the meter's register at it, Wh; null while the meter start is unknown (the readings count from the start) */
  meterWh: number | null;
  /** energy charged up to it, Wh */
  energyWh: number;
  /**
   * what the session costs up to it, priced by the same engine and from the same input as at
   * stop; null before the first reading, or when the session cannot be priced (no plan)
   */
  cost: Money | null;
}

/**
 * What a running session's progress is computed from: its latest reading, the energy up to it
 * and the pricing request that bills the session as if it stopped there (`pricingRequest`,
 * the one the completion uses). Null for an order that is not active. A session whose meter
 * start is unknown (a YKC session until the pile's record) has readings that count from its
 * start: the meter is taken to have stood at 0 then, as a force-close does.
 */
export function progressInput(
  order: OrderRecord,
  readings: readonly MeterReading[],
): { latest: MeterReading | null; energyWh: number; request: PricingRequest | null; currency: string } | null {
  if (!ACTIVE_STATES.includes(order.state)) return null;
  const sorted = [...readings].sort((a, b) => a.at.getTime() - b.at.getTime());
  const latest = sorted.at(-1) ?? null;
  if (!latest || !order.startedAt) return { latest, energyWh: 0, request: null, currency: order.currency };
  const asStarted = { ...order, meterStartWh: order.meterStartWh ?? 0 };
  const request = pricingRequest(asStarted, sorted, order.startedAt, latest.at, latest.registerWh);
  // No time has passed yet: nothing to price (no plan prices an empty interval).
  const priced = latest.at.getTime() > order.startedAt.getTime();
  return { latest, energyWh: request.energyWh, request: priced ? request : null, currency: order.currency };
}

/** The live view of running sessions: progressInput, priced. */
export class ProgressService {
  constructor(private readonly pricer: Pricer) {}

  /** Null for an order that is not active (its bill says what it cost). */
  async progress(order: OrderRecord, readings: readonly MeterReading[]): Promise<SessionProgress | null> {
    const input = progressInput(order, readings);
    if (!input) return null;
    const { latest, energyWh, request, currency } = input;
    const meterWh = latest && order.meterStartWh !== null ? latest.registerWh : null;
    if (!latest) return { latest, meterWh, energyWh, cost: null };
    return { latest, meterWh, energyWh, cost: request ? await this.price(request) : zeroMoney(currency) };
  }

  private async price(request: PricingRequest): Promise<Money | null> {
    try {
      return (await this.pricer.price(request)).total;
    } catch (e) {
      // Cannot be priced (no plan, unknown charger): no running cost, as the stop would flag it.
      // A pricing engine that is down is an error the client may retry.
      if ((e as { retriable?: boolean }).retriable === false) return null;
      throw e;
    }
  }
}
