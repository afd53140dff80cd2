import { handleBootNotification } from './boot-notification';
import { handleHeartbeat } from './heartbeat';
import { handleStatusNotification } from './status-notification';
import type { OcppHandler } from './types';

export * from './types';
export { bootNotificationEvent, handleBootNotification } from './boot-notification';
export { handleHeartbeat } from './heartbeat';
export { statusNotificationEvent, handleStatusNotification } from './status-notification';

/**
 * OCPP 1.6 actions a charger may call, by action name. Anything else is
 * answered NotImplemented. Add an action: one file here, one line below.
 */
export const ocpp16Handlers: Record<string, OcppHandler<any, any>> = {
  BootNotification: handleBootNotification,
  Heartbeat: handleHeartbeat,
  StatusNotification: handleStatusNotification,
};
