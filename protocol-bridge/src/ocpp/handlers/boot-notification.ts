import type { ChargerEventOf } from '@evcs/events';
import { ChargerContext, chargerEvent, EventStamp } from '../../connections/events';
import type { BootNotificationConfirmation, BootNotificationRequest } from '../messages';
import type { OcppHandler } from './types';

/** BootNotification.req → charger.booted. The request carries no time of its own. */
export function bootNotificationEvent(ctx: ChargerContext, stamp: EventStamp, req: BootNotificationRequest): ChargerEventOf<'charger.booted'> {
  const serialNumber = req.chargePointSerialNumber ?? req.chargeBoxSerialNumber;
  return chargerEvent(ctx, stamp, 'charger.booted', {
    vendor: req.chargePointVendor,
    model: req.chargePointModel,
    ...(serialNumber !== undefined ? { serialNumber } : {}),
    ...(req.firmwareVersion !== undefined ? { firmwareVersion: req.firmwareVersion } : {}),
  });
}

/**
 * Unknown chargers never get here (refused at connect). A charger that
 * authenticated is Accepted. One let in without a password (security profile 0,
 * while its tenant allows commissioning) is Pending: it stays connected,
 * heartbeats at the interval and may be configured (its password set), but
 * should not start sessions.
 */
export const handleBootNotification: OcppHandler<BootNotificationRequest, BootNotificationConfirmation> = async (ctx, req) => {
  await ctx.session.publish(bootNotificationEvent(ctx.session.ctx, ctx.session.stamp(), req));
  return { status: ctx.securityProfile === 0 ? 'Pending' : 'Accepted', currentTime: ctx.now().toISOString(), interval: ctx.config.heartbeatIntervalS };
};
