import { billingModelReply, billingModelRequest } from './billing-model-request';
import { billingModelVerify, billingModelVerifyReply } from './billing-model-verify';
import { cardStartReply, cardStartRequest } from './card-start';
import { heartbeat, heartbeatReply } from './heartbeat';
import { loginReply, loginRequest } from './login';
import { readRealTimeData, realTimeData } from './real-time-data';
import { reboot, rebootReply } from './reboot';
import { remoteStart, remoteStartReply } from './remote-start';
import { remoteStop, remoteStopReply } from './remote-stop';
import { setBillingModel, setBillingModelReply } from './set-billing-model';
import { timeSync, timeSyncReply } from './time-sync';
import { transactionRecord, transactionRecordConfirm } from './transaction-record';
import { workingParameters, workingParametersReply } from './working-parameters';
import type { YkcMessage } from './types';

export * from './billing-model';
export * from './billing-model-request';
export * from './billing-model-verify';
export * from './card-start';
export * from './heartbeat';
export * from './login';
export * from './real-time-data';
export * from './reboot';
export * from './remote-start';
export * from './remote-stop';
export * from './set-billing-model';
export * from './time-sync';
export * from './transaction-record';
export * from './types';
export * from './working-parameters';

/** Every message the bridge speaks, by type byte. */
export const YKC_MESSAGES: ReadonlyMap<number, YkcMessage<unknown>> = new Map(
  [
    loginRequest,
    loginReply,
    heartbeat,
    heartbeatReply,
    billingModelVerify,
    billingModelVerifyReply,
    billingModelRequest,
    billingModelReply,
    setBillingModel,
    setBillingModelReply,
    readRealTimeData,
    realTimeData,
    remoteStart,
    remoteStartReply,
    cardStartRequest,
    cardStartReply,
    remoteStop,
    remoteStopReply,
    transactionRecord,
    transactionRecordConfirm,
    timeSync,
    timeSyncReply,
    reboot,
    rebootReply,
    workingParameters,
    workingParametersReply,
  ].map((m) => [m.type, m as YkcMessage<unknown>]),
);

/** Decode a frame body into its message, or describe why not (unknown type or a body that doesn't parse). */
export function decodeMessage(type: number, body: Buffer): { name: string; message: unknown } {
  const codec = YKC_MESSAGES.get(type);
  if (!codec) throw new UnknownMessageTypeError(type);
  return { name: codec.name, message: codec.decode(body) };
}

export class UnknownMessageTypeError extends Error {
  readonly code = 'YKC_UNKNOWN_TYPE';
  constructor(readonly type: number) {
    super(`unknown YKC message type 0x${type.toString(16).padStart(2, '0')}`);
  }
}
