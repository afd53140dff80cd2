import { envelope, normaliseTimestamp } from '../../connections/events';
import type { StopTransactionConfirmation, StopTransactionRequest } from '../messages';
import { meterValuesEvent } from './meter-values';
import type { OcppHandler } from './types';

/**
 * StopTransaction → (session.meter_values for transactionData) + session.stopped.
 * A stop for a transaction id the bridge never issued is still answered (else
 * the charger retries forever), published with unknownTransaction: true so the
 * orders side can flag it, and counted. Resends are published again
 * (at-least-once; consumers deduplicate on transactionId).
 */
export const handleStopTransaction: OcppHandler<StopTransactionRequest, StopTransactionConfirmation> = async (ctx, req) => {
  const stamp = ctx.session.stamp();
  const stoppedAt = normaliseTimestamp(req.timestamp, stamp.receivedAt);
  const outcome = await ctx.store.stopTransaction(ctx.session.ctx.tenantId, {
    chargerCode: ctx.session.chargerId,
    transactionId: req.transactionId,
    meterStop: req.meterStop,
    stoppedAt: new Date(stoppedAt),
    reason: req.reason,
  });
  if (!outcome.known) {
    ctx.metrics.count('OCPP16', 'stop_transaction_unknown_id');
    ctx.log.warn({ transactionId: req.transactionId }, 'StopTransaction for a transaction id this platform never issued; accepted and flagged');
  } else if (outcome.alreadyStopped) {
    ctx.metrics.count('OCPP16', 'stop_transaction_resend');
  }
  const connectorId = outcome.known ? outcome.connectorId : undefined;
  if (req.transactionData?.length) {
    await ctx.session.publish(meterValuesEvent(ctx.session.ctx, ctx.session.stamp(), connectorId ?? 0, req.transactionId, req.transactionData));
  }
  await ctx.session.publish({
    ...envelope(ctx.session.ctx, stamp, stoppedAt),
    type: 'session.stopped',
    data: {
      transactionId: String(req.transactionId),
      ...(connectorId !== undefined ? { connectorId } : {}),
      ...(req.idTag !== undefined ? { idTag: req.idTag } : {}),
      meterStopWh: req.meterStop,
      stoppedAt,
      ...(req.reason !== undefined ? { reason: req.reason } : {}),
      ...(!outcome.known ? { unknownTransaction: true } : {}),
    },
  });
  return req.idTag !== undefined ? { idTagInfo: { status: 'Accepted' } } : {};
};
