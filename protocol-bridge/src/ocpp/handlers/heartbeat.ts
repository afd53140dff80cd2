import type { HeartbeatConfirmation, HeartbeatRequest } from '../messages';
import type { OcppHandler } from './types';

/**
 * Heartbeat publishes nothing: the charger event contract has no heartbeat type
 * and 1 event per charger every few minutes would be noise. Liveness is the
 * session's lastSeenAt (and the WebSocket pings ocpp-rpc sends).
 */
export const handleHeartbeat: OcppHandler<HeartbeatRequest, HeartbeatConfirmation> = async (ctx) => {
  return { currentTime: ctx.now().toISOString() };
};
