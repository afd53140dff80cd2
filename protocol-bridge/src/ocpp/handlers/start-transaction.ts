import { envelope, normaliseTimestamp } from '../../connections/events';
import type { StartTransactionConfirmation, StartTransactionRequest } from '../messages';
import type { OcppHandler } from './types';
import { checkConnectorId } from './status-notification';

/**
 * StartTransaction → session.started. The transaction id comes from the
 * bridge's Postgres sequence, keyed by the session's natural key (charger,
 * connector, idTag, meterStart, timestamp): a charger that resends the same
 * start with a new message id (our reply was lost) gets the same id back, and
 * the resend is counted and flagged on the event. Order: id first, event
 * second, reply last — a failure anywhere makes the charger resend, which
 * lands on the same id.
 */
export const handleStartTransaction: OcppHandler<StartTransactionRequest, StartTransactionConfirmation> = async (ctx, req) => {
  checkConnectorId(req.connectorId, 1);
  const stamp = ctx.session.stamp();
  const startedAt = normaliseTimestamp(req.timestamp, stamp.receivedAt);
  const { transactionId, resend } = await ctx.store.startTransaction(ctx.session.ctx.tenantId, {
    chargerCode: ctx.session.chargerId,
    connectorId: req.connectorId,
    idTag: req.idTag,
    meterStart: req.meterStart,
    startedAt: new Date(startedAt),
  });
  if (resend) {
    ctx.metrics.count('OCPP16', 'start_transaction_resend');
    ctx.log.warn({ transactionId, connectorId: req.connectorId }, 'StartTransaction resent for a known session; answering with its id');
  }
  await ctx.session.publish({
    ...envelope(ctx.session.ctx, stamp, startedAt),
    type: 'session.started',
    data: {
      connectorId: req.connectorId,
      transactionId: String(transactionId),
      idTag: req.idTag,
      meterStartWh: req.meterStart,
      startedAt,
      trigger: 'LOCAL',
      ...(resend ? { resend: true } : {}),
    },
  });
  return { transactionId, idTagInfo: { status: 'Accepted' } };
};
