import type { ChargerCommand } from '@evcs/events';
import { diagnosticsUploadToken } from '@evcs/platform';
import { RPCError, TimeoutError } from 'ocpp-rpc';
import type { CommandOutcome } from '../connections/registry';
import type { RemoteStartTags } from './remote-start-tags';

/** What the bridge sends for a platform command: an OCPP 1.6 action and payload, or a reason it can't. */
export type OcppCall = { action: string; payload: Record<string, unknown> } | { unsupported: string };

function remoteStop(transactionId: string | undefined): OcppCall {
  const id = Number(transactionId);
  if (!transactionId || !Number.isSafeInteger(id)) return { unsupported: 'OCPP RemoteStopTransaction needs the integer transactionId' };
  return { action: 'RemoteStopTransaction', payload: { transactionId: id } };
}

function optionalConnector(connectorId: number | undefined): { connectorId?: number } {
  return connectorId !== undefined ? { connectorId } : {};
}

type Spec<T extends ChargerCommand['command']['type']> = Extract<ChargerCommand['command'], { type: T }>;

/** What some calls need of the bridge beside the command. */
export interface OcppCallOptions {
  /** The secret shared with assets that diagnostics upload tokens derive from; unset, GetDiagnostics is not offered. */
  diagnosticsUploadSecret?: string;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [k in K]?: V } {
  return (value !== undefined ? { [key]: value } : {}) as { [k in K]?: V };
}

/** GetDiagnostics to the platform's upload URL, completed with its one-time token (derived here: it is in no message). */
function getDiagnostics(c: Spec<'diagnostics.get'>, o: OcppCallOptions): OcppCall {
  if (!o.diagnosticsUploadSecret) return { unsupported: 'this bridge has no DIAGNOSTICS_UPLOAD_SECRET' };
  const location = `${c.location.replace(/\/+$/, '')}/${diagnosticsUploadToken(o.diagnosticsUploadSecret, c.uploadId)}`;
  return { action: 'GetDiagnostics', payload: { location, ...optional('startTime', c.startTime), ...optional('stopTime', c.stopTime) } };
}

/** Each platform command as an OCPP 1.6 call (a table: one line per command type). */
const OCPP_CALLS: { [T in ChargerCommand['command']['type']]: (c: Spec<T>, o: OcppCallOptions) => OcppCall } = {
  'session.start': (c) => ({ action: 'RemoteStartTransaction', payload: { connectorId: c.connectorId, idTag: c.idTag } }),
  'session.stop': (c) => remoteStop(c.transactionId),
  'charger.reset': (c) => ({ action: 'Reset', payload: { type: c.kind } }),
  'connector.unlock': (c) => ({ action: 'UnlockConnector', payload: { connectorId: c.connectorId } }),
  'connector.change_availability': (c) => ({ action: 'ChangeAvailability', payload: { connectorId: c.connectorId, type: c.availability } }),
  'config.change': (c) => ({ action: 'ChangeConfiguration', payload: { key: c.key, value: c.value } }),
  'config.get': (c) => ({ action: 'GetConfiguration', payload: c.keys ? { key: c.keys } : {} }),
  'message.trigger': (c) => ({ action: 'TriggerMessage', payload: { requestedMessage: c.message, ...optionalConnector(c.connectorId) } }),
  'cache.clear': () => ({ action: 'ClearCache', payload: {} }),
  'reservation.reserve': (c) => ({
    action: 'ReserveNow',
    payload: { connectorId: c.connectorId, expiryDate: c.expiryDate, idTag: c.idTag, reservationId: c.reservationId },
  }),
  'reservation.cancel': (c) => ({ action: 'CancelReservation', payload: { reservationId: c.reservationId } }),
  'firmware.update': (c) => ({
    action: 'UpdateFirmware',
    payload: { location: c.location, retrieveDate: c.retrieveDate, ...optional('retries', c.retries), ...optional('retryInterval', c.retryInterval) },
  }),
  'diagnostics.get': getDiagnostics,
  // OCPP's way to ask for fresh readings.
  'real_time_data.read': (c) => ({ action: 'TriggerMessage', payload: { requestedMessage: 'MeterValues', connectorId: c.connectorId } }),
  'time.sync': () => ({ unsupported: 'OCPP 1.6 chargers take the time from Heartbeat and BootNotification replies' }),
  'billing_model.set': () => ({ unsupported: 'OCPP 1.6 chargers have no billing model' }),
  'working_parameters.set': () => ({ unsupported: 'YKC working parameters (0x52); OCPP chargers take ChangeAvailability and ChangeConfiguration' }),
};

export function toOcppCall(c: ChargerCommand['command'], options: OcppCallOptions = {}): OcppCall {
  return (OCPP_CALLS[c.type] as (c: ChargerCommand['command'], o: OcppCallOptions) => OcppCall)(c, options);
}

/** Statuses in confirmations that mean "done" or "will do". */
const POSITIVE = new Set(['Accepted', 'Unlocked', 'Scheduled', 'RebootRequired']);

export function outcomeOf(action: string, response: unknown): CommandOutcome {
  const r = (response ?? {}) as Record<string, unknown>;
  // Confirmations without a status: the answer is the acceptance (GetDiagnostics names the file it will upload, if any).
  if (action === 'GetConfiguration' || action === 'UpdateFirmware' || action === 'GetDiagnostics') return { status: 'ACCEPTED', response: r };
  const status = typeof r.status === 'string' ? r.status : undefined;
  if (status && POSITIVE.has(status)) return { status: 'ACCEPTED', response: r, ...(status !== 'Accepted' ? { reason: status } : {}) };
  return { status: 'REJECTED', reason: status ?? 'NO_STATUS', response: r };
}

export function outcomeOfError(err: unknown): CommandOutcome {
  if (err instanceof TimeoutError) return { status: 'FAILED', reason: 'TIMEOUT' };
  if (err instanceof RPCError) return { status: 'FAILED', reason: `CALL_ERROR: ${err.rpcErrorCode}` };
  return { status: 'FAILED', reason: `DISCONNECTED: ${err instanceof Error ? err.message : String(err)}`.slice(0, 200) };
}

/** What a charger's connection needs to make a call. */
interface OcppCaller {
  call(action: string, payload: Record<string, unknown>, options: { callTimeoutMs: number }): Promise<unknown>;
}

/** A platform command, sent to the charger and its answer (or error) as the outcome. */
export async function executeOcppCommand(
  client: OcppCaller,
  remoteStartTags: RemoteStartTags,
  command: ChargerCommand,
  options: OcppCallOptions = {},
): Promise<CommandOutcome> {
  const call = toOcppCall(command.command, options);
  if ('unsupported' in call) return { status: 'FAILED', reason: `NOT_SUPPORTED: ${call.unsupported}` };
  if (call.action === 'RemoteStartTransaction') remoteStartTags.remember(String(call.payload.idTag));
  try {
    const response = await client.call(call.action, call.payload, { callTimeoutMs: command.timeoutMs });
    return outcomeOf(call.action, response);
  } catch (err) {
    return outcomeOfError(err);
  }
}
