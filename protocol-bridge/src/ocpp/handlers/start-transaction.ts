import { chargerEvent, normaliseTimestamp } from '../../connections/events';
import { idTagInfo } from '../../id-tags';
import type { IdTagAnswer } from '../../ports';
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
 *
 * The tag is checked with the tenant's id-token authority (OCPP: the central
 * system must verify it, the charger may have authorised it from an outdated
 * local list). A tag that is not Accepted still gets its transaction id — the
 * session happened — and the answer's status tells the charger to stop it
 * (StopTransactionOnInvalidId); the event carries the status so orders flags
 * the session, and the user the tag belongs to. If the authority can't be
 * reached the session is answered Accepted and published unchecked (no
 * `authorization`): the energy is already flowing, and refusing would only
 * lose the record. A remote start's own tag (sent by this bridge in
 * RemoteStartTransaction) is the platform's authorisation already: Accepted,
 * published without `authorization` (orders matches it to its pending order).
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
  let answer: IdTagAnswer | undefined;
  const remote = ctx.remoteStartTags?.has(req.idTag) ?? false;
  try {
    if (!remote) answer = await ctx.idTags.authorize(ctx.session.ctx.tenantId, req.idTag, ctx.stationId);
  } catch (err) {
    ctx.metrics.count('OCPP16', 'start_transaction_authority_unavailable');
    ctx.log.warn({ err, transactionId }, 'id-tag authority unavailable; StartTransaction accepted unchecked');
  }
  if (answer && answer.status !== 'Accepted') ctx.metrics.count('OCPP16', `start_transaction_${answer.status}`);
  await ctx.session.publish(
    chargerEvent(
      ctx.session.ctx,
      stamp,
      'session.started',
      {
        connectorId: req.connectorId,
        transactionId: String(transactionId),
        idTag: req.idTag,
        meterStartWh: req.meterStart,
        startedAt,
        trigger: 'LOCAL',
        ...(resend ? { resend: true } : {}),
        ...(answer ? { authorization: answer.status } : {}),
        ...(answer?.userId ? { userId: answer.userId } : {}),
        ...(req.reservationId !== undefined ? { reservationId: req.reservationId } : {}),
      },
      startedAt,
    ),
  );
  return { transactionId, idTagInfo: answer ? idTagInfo(answer) : { status: 'Accepted' } };
};
