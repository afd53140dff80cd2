import type { HeartbeatConfirmation, HeartbeatRequest } from '../messages';
import type { OcppHandler } from './types';

/** Heartbeat → charger.heartbeat (one per charger per interval, 300 s by default: cheap, and it proves liveness on the bus). */
export const handleHeartbeat: OcppHandler<HeartbeatRequest, HeartbeatConfirmation> = async (ctx) => {
  await ctx.session.emit('charger.heartbeat', {});
  return { currentTime: ctx.now().toISOString() };
};
