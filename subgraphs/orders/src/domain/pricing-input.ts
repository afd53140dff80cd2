import type { MeterReading } from './meter';
import type { OrderRecord, PricingRequest } from './ports';

/**
 * What a session is priced from — the same at stop and when reconciliation
 * re-prices it: the register at start, the trusted readings inside the
 * session, the register at stop. Without a start register there is no energy
 * to speak of, and the session is priced at zero energy over its duration.
 */
export function pricingRequest(
  order: OrderRecord,
  readings: readonly MeterReading[],
  startedAt: Date,
  stoppedAt: Date,
  meterStopWh: number | null,
): PricingRequest {
  const hasMeter = order.meterStartWh !== null && meterStopWh !== null;
  const energyWh = hasMeter ? Math.max(0, meterStopWh - order.meterStartWh!) : 0;
  return {
    tenantId: order.tenantId,
    stationId: order.stationId,
    chargerId: order.chargerId,
    startedAt,
    stoppedAt,
    energyWh,
    readings: hasMeter
      ? [
          { at: startedAt, registerWh: order.meterStartWh! },
          ...readings.filter((r) => r.at > startedAt && r.at < stoppedAt),
          { at: stoppedAt, registerWh: meterStopWh },
        ]
      : [],
  };
}
