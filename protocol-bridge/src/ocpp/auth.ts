import type { Logger } from '@evcs/platform';
import type { ChargerDirectory, ChargerRegistration } from '../directory';

export const OCPP16_PROTOCOL = 'ocpp1.6';

/**
 * A charge point identity as OCPP allows it (the security whitepaper's
 * identifierString, at most 48 characters). Checked before anything is looked up.
 */
export const CHARGE_POINT_ID = /^[A-Za-z0-9*\-_=:+|@.]{1,48}$/;

/** What ocpp-rpc keeps as the connection's session after `accept`. */
export interface OcppSessionData {
  registration: ChargerRegistration;
}

export interface HandshakeInfo {
  identity: string;
  protocols: Set<string>;
  remoteAddress?: string;
}

export type AuthDecision = { accept: true; session: OcppSessionData } | { accept: false; status: number; message: string };

/**
 * Decide on a WebSocket upgrade: a well-formed identity, the ocpp1.6
 * subprotocol (without it ocpp-rpc would accept the socket with no protocol and
 * skip schema validation), and a charger the directory knows. Unknown → 404.
 * Directory down → 503, so the charger retries instead of being told it does not exist.
 */
export async function authorizeCharger(directory: ChargerDirectory, handshake: HandshakeInfo, logger: Logger): Promise<AuthDecision> {
  if (!CHARGE_POINT_ID.test(handshake.identity)) {
    return { accept: false, status: 400, message: 'Invalid charge point identity' };
  }
  if (!handshake.protocols.has(OCPP16_PROTOCOL)) {
    return { accept: false, status: 400, message: `Subprotocol ${OCPP16_PROTOCOL} required` };
  }
  let registration: ChargerRegistration | null;
  try {
    registration = await directory.resolve(handshake.identity);
  } catch (err) {
    logger.warn({ err, chargerId: handshake.identity }, 'charger directory unavailable; refusing connection for now');
    return { accept: false, status: 503, message: 'Service unavailable' };
  }
  if (!registration) {
    logger.info({ chargerId: handshake.identity, remoteAddress: handshake.remoteAddress }, 'refused unknown charge point');
    return { accept: false, status: 404, message: 'Unknown charge point' };
  }
  return { accept: true, session: { registration } };
}
