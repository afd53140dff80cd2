import type { ChargerEventOf } from '@evcs/events';
import { ChargerContext, chargerEvent, EventStamp, normaliseTimestamp } from '../../connections/events';
import type { MeterValue, MeterValuesConfirmation, MeterValuesRequest } from '../messages';
import { checkConnectorId } from './status-notification';
import type { OcppHandler } from './types';

/**
 * OCPP 1.6's default unit (SampledValue.unit): Wh for an Energy measurand, the only one the
 * specification gives; SoC is always in Percent. Any other measurand without a unit keeps none:
 * a Power or Current value of unknown unit is not guessed (consumers ignore it).
 */
export function defaultUnit(measurand: string): string | undefined {
  if (measurand.startsWith('Energy.')) return 'Wh';
  if (measurand === 'SoC') return 'Percent';
  return undefined;
}

/** OCPP's defaults made explicit, so consumers never guess what a bare value means. */
export function meterValuesEvent(
  ctx: ChargerContext,
  stamp: EventStamp,
  connectorId: number,
  transactionId: number | undefined,
  meterValue: MeterValue[],
): ChargerEventOf<'session.meter_values'> {
  const readings = meterValue.map((mv) => ({
    timestamp: normaliseTimestamp(mv.timestamp, stamp.receivedAt),
    samples: mv.sampledValue.map((s) => {
      const measurand = s.measurand ?? 'Energy.Active.Import.Register';
      const unit = s.unit ?? defaultUnit(measurand);
      return {
        measurand,
        value: s.value,
        ...(unit !== undefined ? { unit } : {}),
        format: s.format ?? 'Raw',
        ...(s.phase !== undefined ? { phase: s.phase } : {}),
        ...(s.context !== undefined ? { context: s.context } : {}),
        ...(s.location !== undefined ? { location: s.location } : {}),
      };
    }),
  }));
  return chargerEvent(
    ctx,
    stamp,
    'session.meter_values',
    { connectorId, ...(transactionId !== undefined ? { transactionId: String(transactionId) } : {}), readings },
    readings.at(-1)?.timestamp,
  );
}

export const handleMeterValues: OcppHandler<MeterValuesRequest, MeterValuesConfirmation> = async (ctx, req) => {
  checkConnectorId(req.connectorId, 0);
  await ctx.session.publish(meterValuesEvent(ctx.session.ctx, ctx.session.stamp(), req.connectorId, req.transactionId, req.meterValue));
  return {};
};
