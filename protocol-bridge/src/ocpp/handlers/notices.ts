import type { DataTransferConfirmation, DataTransferRequest, DiagnosticsStatusNotificationRequest, FirmwareStatusNotificationRequest } from '../messages';
import type { OcppHandler } from './types';

/** DiagnosticsStatusNotification → charger.notice (DIAGNOSTICS). */
export const handleDiagnosticsStatusNotification: OcppHandler<DiagnosticsStatusNotificationRequest, Record<string, never>> = async (ctx, req) => {
  await ctx.session.emit('charger.notice', { kind: 'DIAGNOSTICS', status: req.status });
  return {};
};

/** FirmwareStatusNotification → charger.notice (FIRMWARE). */
export const handleFirmwareStatusNotification: OcppHandler<FirmwareStatusNotificationRequest, Record<string, never>> = async (ctx, req) => {
  await ctx.session.emit('charger.notice', { kind: 'FIRMWARE', status: req.status });
  return {};
};

/**
 * DataTransfer: the platform implements no vendor extensions, so the answer is
 * UnknownVendorId (the spec's answer for that case). The message is still
 * published (charger.notice, DATA_TRANSFER) and counted, so nothing a charger
 * says disappears.
 */
export const handleDataTransfer: OcppHandler<DataTransferRequest, DataTransferConfirmation> = async (ctx, req) => {
  ctx.metrics.count('OCPP16', 'data_transfer_unknown_vendor');
  await ctx.session.emit('charger.notice', {
    kind: 'DATA_TRANSFER',
    status: 'UnknownVendorId',
    detail: {
      vendorId: req.vendorId,
      ...(req.messageId !== undefined ? { messageId: req.messageId } : {}),
      ...(req.data !== undefined ? { data: req.data.slice(0, 2000) } : {}),
    },
  });
  return { status: 'UnknownVendorId' };
};
