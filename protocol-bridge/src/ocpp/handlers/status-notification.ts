import type { ChargerEventOf } from '@evcs/events';
import { createRPCError } from 'ocpp-rpc';
import { ChargerContext, chargerEvent, EventStamp, normaliseTimestamp } from '../../connections/events';
import type { StatusNotificationConfirmation, StatusNotificationRequest } from '../messages';
import type { OcppHandler } from './types';

/** Connector ids the event contract can carry (0 = the charger as a whole). */
const MAX_CONNECTOR_ID = 255;

/**
 * StatusNotification.req → connector.status_changed. OCPP 1.6 statuses and the
 * event's ConnectorStatus are the same set. occurredAt is the charger's
 * timestamp when it sent one. vendorId/vendorErrorCode have no place in the
 * event contract yet and are dropped.
 */
/** The schema allows any integer; a negative or huge connector id is still the charger's error, not ours. */
export function checkConnectorId(connectorId: number, min: number): void {
  if (!Number.isInteger(connectorId) || connectorId < min || connectorId > MAX_CONNECTOR_ID) {
    throw createRPCError('PropertyConstraintViolation', `connectorId must be between ${min} and ${MAX_CONNECTOR_ID}`, {});
  }
}

export function statusNotificationEvent(ctx: ChargerContext, stamp: EventStamp, req: StatusNotificationRequest): ChargerEventOf<'connector.status_changed'> {
  checkConnectorId(req.connectorId, 0);
  return chargerEvent(
    ctx,
    stamp,
    'connector.status_changed',
    {
      connectorId: req.connectorId,
      status: req.status,
      errorCode: req.errorCode,
      ...(req.info !== undefined ? { info: req.info } : {}),
    },
    normaliseTimestamp(req.timestamp, stamp.receivedAt),
  );
}

export const handleStatusNotification: OcppHandler<StatusNotificationRequest, StatusNotificationConfirmation> = async (ctx, req) => {
  await ctx.session.publish(statusNotificationEvent(ctx.session.ctx, ctx.session.stamp(), req));
  return {};
};
