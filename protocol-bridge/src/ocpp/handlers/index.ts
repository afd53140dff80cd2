import { handleAuthorize } from './authorize';
import { handleBootNotification } from './boot-notification';
import { handleHeartbeat } from './heartbeat';
import { handleMeterValues } from './meter-values';
import { handleDataTransfer, handleDiagnosticsStatusNotification, handleFirmwareStatusNotification } from './notices';
import { handleStartTransaction } from './start-transaction';
import { handleStatusNotification } from './status-notification';
import { handleStopTransaction } from './stop-transaction';
import type { OcppHandler } from './types';

export * from './types';
export { bootNotificationEvent, handleBootNotification } from './boot-notification';
export { handleHeartbeat } from './heartbeat';
export { statusNotificationEvent, handleStatusNotification } from './status-notification';
export { meterValuesEvent } from './meter-values';

/**
 * OCPP 1.6 Core actions a charger may call, by action name. Anything else is
 * answered NotImplemented. Add an action: one file here, one line below.
 */
export const ocpp16Handlers: Record<string, OcppHandler<any, any>> = {
  Authorize: handleAuthorize,
  BootNotification: handleBootNotification,
  DataTransfer: handleDataTransfer,
  DiagnosticsStatusNotification: handleDiagnosticsStatusNotification,
  FirmwareStatusNotification: handleFirmwareStatusNotification,
  Heartbeat: handleHeartbeat,
  MeterValues: handleMeterValues,
  StartTransaction: handleStartTransaction,
  StatusNotification: handleStatusNotification,
  StopTransaction: handleStopTransaction,
};
