import type { Logger } from '@evcs/platform';
import type { ChargerDirectory, ChargerRegistration } from '../directory';
import type { BridgeStore } from '../persistence/store';
import { verifyChargerPassword } from './credentials';

export const OCPP16_PROTOCOL = 'ocpp1.6';

/**
 * A charge point identity as OCPP allows it (the security whitepaper's
 * identifierString, at most 48 characters). Checked before anything is looked up.
 */
export const CHARGE_POINT_ID = /^[A-Za-z0-9*\-_=:+|@.]{1,48}$/;

/** What ocpp-rpc keeps as the connection's session after `accept`. */
export interface OcppSessionData {
  registration: ChargerRegistration;
  /** 0: no password, 1: Basic over ws, 2: Basic over TLS. */
  securityProfile: 0 | 1 | 2;
}

export interface HandshakeInfo {
  identity: string;
  protocols: Set<string>;
  remoteAddress?: string;
  /** The HTTP Basic password, if the charger sent one for its own identity. */
  password?: Buffer;
}

export type AuthDecision = { accept: true; session: OcppSessionData } | { accept: false; status: number; message: string };

export interface AuthDeps {
  directory: ChargerDirectory;
  store: BridgeStore;
  logger: Logger;
  /** The bridge terminates TLS itself (security profile 2). */
  tls: boolean;
}

/**
 * Decide on a WebSocket upgrade: a well-formed identity, the ocpp1.6
 * subprotocol (without it ocpp-rpc would accept the socket with no protocol and
 * skip schema validation), and a charger the directory knows.
 *
 * Unknown chargers: a code the directory doesn't know belongs to no tenant, so
 * no tenant policy can apply to it: it is refused (404, OCPP's "Rejected" at
 * the transport). Tenant policy decides about registered chargers (Pending at
 * boot, or a password required).
 *
 * Passwords (security profiles 1/2): a charger with a row in
 * bridge.charger_credentials must send its password with HTTP Basic; a wrong
 * or missing one is 401. Directory or database down → 503, so the charger
 * retries instead of being told it does not exist.
 */
export async function authorizeCharger(deps: AuthDeps, handshake: HandshakeInfo): Promise<AuthDecision> {
  const { logger } = deps;
  if (!CHARGE_POINT_ID.test(handshake.identity)) {
    return { accept: false, status: 400, message: 'Invalid charge point identity' };
  }
  if (!handshake.protocols.has(OCPP16_PROTOCOL)) {
    return { accept: false, status: 400, message: `Subprotocol ${OCPP16_PROTOCOL} required` };
  }
  let registration: ChargerRegistration | null;
  let hash: string | null;
  let requirePassword: boolean;
  try {
    registration = await deps.directory.resolve(handshake.identity);
    if (!registration) {
      logger.info({ chargerId: handshake.identity, remoteAddress: handshake.remoteAddress }, 'refused unknown charge point');
      return { accept: false, status: 404, message: 'Unknown charge point' };
    }
    [hash, { requirePassword }] = await Promise.all([
      deps.store.passwordHash(registration.tenantId, handshake.identity),
      deps.store.tenantPolicy(registration.tenantId),
    ]);
  } catch (err) {
    logger.warn({ err, chargerId: handshake.identity }, 'charger directory unavailable; refusing connection for now');
    return { accept: false, status: 503, message: 'Service unavailable' };
  }
  if (hash) {
    if (!handshake.password || !(await verifyChargerPassword(handshake.password, hash))) {
      logger.warn({ chargerId: handshake.identity, remoteAddress: handshake.remoteAddress, sentPassword: Boolean(handshake.password) }, 'charger failed Basic authentication');
      return { accept: false, status: 401, message: 'Unauthorized' };
    }
    return { accept: true, session: { registration, securityProfile: deps.tls ? 2 : 1 } };
  }
  if (requirePassword) {
    logger.warn({ chargerId: handshake.identity }, 'tenant requires a password but this charger has none set');
    return { accept: false, status: 401, message: 'Unauthorized' };
  }
  return { accept: true, session: { registration, securityProfile: 0 } };
}
