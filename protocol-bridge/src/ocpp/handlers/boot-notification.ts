import type { ChargerEventOf } from '@evcs/events';
import { ChargerContext, envelope, EventStamp } from '../../connections/events';
import type { BootNotificationConfirmation, BootNotificationRequest } from '../messages';
import type { OcppHandler } from './types';

/** BootNotification.req → charger.booted. The request carries no time of its own. */
export function bootNotificationEvent(ctx: ChargerContext, stamp: EventStamp, req: BootNotificationRequest): ChargerEventOf<'charger.booted'> {
  const serialNumber = req.chargePointSerialNumber ?? req.chargeBoxSerialNumber;
  return {
    ...envelope(ctx, stamp),
    type: 'charger.booted',
    data: {
      vendor: req.chargePointVendor,
      model: req.chargePointModel,
      ...(serialNumber !== undefined ? { serialNumber } : {}),
      ...(req.firmwareVersion !== undefined ? { firmwareVersion: req.firmwareVersion } : {}),
    },
  };
}

/** Every registered charger is accepted: the directory already refused unknown ones at connect. */
export const handleBootNotification: OcppHandler<BootNotificationRequest, BootNotificationConfirmation> = async (ctx, req) => {
  await ctx.session.publish(bootNotificationEvent(ctx.session.ctx, ctx.session.stamp(), req));
  return { status: 'Accepted', currentTime: ctx.now().toISOString(), interval: ctx.config.heartbeatIntervalS };
};
