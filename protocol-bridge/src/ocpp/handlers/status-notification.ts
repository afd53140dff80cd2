import type { ChargerEventOf } from '@evcs/events';
import { createRPCError } from 'ocpp-rpc';
import { ChargerContext, envelope, EventStamp, normaliseTimestamp } from '../../connections/events';
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
export function statusNotificationEvent(ctx: ChargerContext, stamp: EventStamp, req: StatusNotificationRequest): ChargerEventOf<'connector.status_changed'> {
  if (!Number.isInteger(req.connectorId) || req.connectorId < 0 || req.connectorId > MAX_CONNECTOR_ID) {
    // The schema allows any integer; a negative or huge connector id is still the charger's error, not ours.
    throw createRPCError('PropertyConstraintViolation', `connectorId must be between 0 and ${MAX_CONNECTOR_ID}`, {});
  }
  return {
    ...envelope(ctx, stamp, normaliseTimestamp(req.timestamp, stamp.receivedAt)),
    type: 'connector.status_changed',
    data: {
      connectorId: req.connectorId,
      status: req.status,
      errorCode: req.errorCode,
      ...(req.info !== undefined ? { info: req.info } : {}),
    },
  };
}

export const handleStatusNotification: OcppHandler<StatusNotificationRequest, StatusNotificationConfirmation> = async (ctx, req) => {
  await ctx.session.publish(statusNotificationEvent(ctx.session.ctx, ctx.session.stamp(), req));
  return {};
};
