import { chargerEvent, normaliseTimestamp } from '../../connections/events';
import { idTagInfo } from '../../id-tags';
import type { StopTransactionConfirmation, StopTransactionRequest } from '../messages';
import { meterValuesEvent } from './meter-values';
import type { OcppHandler } from './types';

/**
 * StopTransaction → (session.meter_values for transactionData) + session.stopped.
 * A stop for a transaction id the bridge never issued is still answered (else
 * the charger retries forever), published with unknownTransaction: true so the
 * orders side can flag it, and counted. Resends are published again
 * (at-least-once; consumers deduplicate on transactionId).
 * The idTagInfo answered for a stop's idTag comes from the tenant's authority
 * (the charger updates its cache with it); when the authority can't be reached
 * it is left out (it is optional) rather than guessed.
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
  await ctx.session.publish(
    chargerEvent(
      ctx.session.ctx,
      stamp,
      'session.stopped',
      {
        transactionId: String(req.transactionId),
        ...(connectorId !== undefined ? { connectorId } : {}),
        ...(req.idTag !== undefined ? { idTag: req.idTag } : {}),
        meterStopWh: req.meterStop,
        stoppedAt,
        ...(req.reason !== undefined ? { reason: req.reason } : {}),
        ...(!outcome.known ? { unknownTransaction: true } : {}),
      },
      stoppedAt,
    ),
  );
  if (req.idTag === undefined) return {};
  if (ctx.remoteStartTags?.has(req.idTag)) return { idTagInfo: { status: 'Accepted' } };
  try {
    return { idTagInfo: idTagInfo(await ctx.idTags.authorize(ctx.session.ctx.tenantId, req.idTag, ctx.stationId)) };
  } catch (err) {
    ctx.metrics.count('OCPP16', 'stop_transaction_authority_unavailable');
    ctx.log.warn({ err }, 'id-tag authority unavailable; StopTransaction answered without idTagInfo');
    return {};
  }
};
