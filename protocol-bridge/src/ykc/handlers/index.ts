import type { FrameDispatch, LoginKey } from '../connection';
import type { LoginRequest } from '../messages';
import { handleBillingModelRequest } from './billing-model-request';
import { handleBillingModelVerify } from './billing-model-verify';
import { handleCardStart } from './card-start';
import { handleHeartbeat } from './heartbeat';
import { handleLogin } from './login';
import { handleRealTime } from './realtime';
import { handleRemoteStartReply, handleRemoteStopReply, handleReply } from './replies';
import { handleTransactionRecord } from './transaction-record';
import type { YkcHandler } from './types';

export * from './types';

/**
 * Pile-to-platform message types a logged-in pile may send, by type. A type the
 * codec knows but that is not here (a platform-to-pile type) is counted
 * `unexpected_direction` and ignored; a type the codec does not know never
 * gets here (the connection counts it `unknown_type`). Add a message: one file
 * here, one line below.
 */
export const ykcHandlers: ReadonlyMap<number, YkcHandler<any>> = new Map<number, YkcHandler<any>>([
  [0x03, handleHeartbeat],
  [0x05, handleBillingModelVerify],
  [0x09, handleBillingModelRequest],
  [0x13, handleRealTime],
  [0x31, handleCardStart],
  [0x33, handleRemoteStartReply],
  [0x35, handleRemoteStopReply],
  [0x3b, handleTransactionRecord],
  [0x51, handleReply],
  [0x55, handleReply],
  [0x57, handleReply],
  [0x91, handleReply],
]);

/**
 * One opened frame of a connection: a login (0x01) first; nothing else before it; a message
 * naming another pile than the connection's is ignored; the rest by the table.
 */
export const dispatchYkcFrame: FrameDispatch = async (conn, frame, { decoded, loginKey }) => {
  const { metrics } = conn.services;
  if (frame.type === 0x01) return handleLogin(conn, frame, decoded.message as LoginRequest, loginKey satisfies LoginKey | undefined);
  const session = conn.session;
  if (!session) {
    metrics.count('YKC', 'before_login');
    conn.log.warn({ type: frame.type }, 'YKC message before login; ignored');
    return;
  }
  const pileNo = (decoded.message as { pileNo?: string }).pileNo;
  if (pileNo !== undefined && pileNo !== conn.pileNo) {
    metrics.count('YKC', 'pile_number_mismatch');
    conn.log.warn({ chargerId: conn.pileNo, claimed: pileNo }, 'YKC message names another pile; ignored');
    return;
  }
  const handler = ykcHandlers.get(frame.type);
  if (!handler) {
    metrics.count('YKC', 'unexpected_direction');
    conn.log.warn({ type: frame.type }, 'pile sent a platform-to-pile message type; ignored');
    return;
  }
  return handler({ conn, services: conn.services, frame, session }, decoded.message);
};
