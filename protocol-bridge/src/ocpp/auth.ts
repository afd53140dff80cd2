import type { Logger } from '@evcs/platform';
import type { ChargerDirectory, ChargerRegistration, ChargerSecurityRecorder } from '../ports';
import { sourceAllowed } from '../connections/charger-security';
import type { ProtocolMetrics } from '../connections/diagnostics';
import type { CredentialCheck, VerifiedCredentials } from './verified-credentials';

export const OCPP16_PROTOCOL = 'ocpp1.6';

/**
 * A charge point identity as OCPP allows it (the security whitepaper's
 * identifierString, at most 48 characters). Checked before anything is looked up.
 */
export const CHARGE_POINT_ID = /^[A-Za-z0-9*\-_=:+|@.]{1,48}$/;

/** What ocpp-rpc keeps as the connection's session after `accept`. */
export interface OcppSessionData {
  registration: ChargerRegistration;
  /** 0: no password (commissioning), 1: Basic over ws, 2: Basic over TLS. */
  securityProfile: 0 | 1 | 2;
  /** The charger's address as decided on (the forwarded one behind a trusted edge): logged, registered, published. */
  remoteAddress?: string;
}

export interface HandshakeInfo {
  identity: string;
  protocols: Set<string>;
  /** The charger's address: the socket's, or the one a trusted edge forwarded (server.ts). */
  remoteAddress?: string;
  /** The HTTP Basic password, if the charger sent one for its own identity. */
  password?: Buffer;
}

export type AuthDecision = { accept: true; session: OcppSessionData } | { accept: false; status: number; message: string };

export interface AuthDeps {
  directory: ChargerDirectory;
  logger: Logger;
  metrics: ProtocolMetrics;
  security: ChargerSecurityRecorder;
  /** The bridge terminates TLS itself (security profile 2). */
  tls: boolean;
  /** The scrypt checks: remembered when they pass, bounded in number at once (one per bridge). */
  credentials: VerifiedCredentials;
}

const unavailable = (): AuthDecision => ({ accept: false, status: 503, message: 'Service unavailable' });

function handshakeProblem(handshake: HandshakeInfo): AuthDecision | null {
  if (!CHARGE_POINT_ID.test(handshake.identity)) return { accept: false, status: 400, message: 'Invalid charge point identity' };
  if (!handshake.protocols.has(OCPP16_PROTOCOL)) return { accept: false, status: 400, message: `Subprotocol ${OCPP16_PROTOCOL} required` };
  return null;
}

/** The password check; `registration` is the one whose hash was checked last (possibly refreshed). Throws when the directory is down. */
async function verifyPassword(
  deps: AuthDeps,
  identity: string,
  password: Buffer,
  registration: ChargerRegistration & { credentialHash: string },
): Promise<{ check: CredentialCheck; registration: ChargerRegistration; refusal: 'wrong_password' | 'password_attempts' }> {
  const { directory, credentials, metrics } = deps;
  const counted = (check: CredentialCheck) => {
    const how = check.cached ? 'cached' : !check.ok && check.throttled ? 'throttled' : 'scrypt';
    metrics.count('OCPP16', `password_check_${how}`);
    return check;
  };
  const result = (check: CredentialCheck, reg: ChargerRegistration) => ({
    check,
    registration: reg,
    refusal: !check.ok && check.throttled ? ('password_attempts' as const) : ('wrong_password' as const),
  });
  const check = counted(await credentials.check(identity, password, registration.credentialHash));
  if (check.ok || !directory.refresh) return result(check, registration);
  // The cached hash may predate a rotation: ask assets once more (the directory rate-limits this).
  const fresh = await directory.refresh(identity);
  if (!fresh?.credentialHash || fresh.credentialHash === registration.credentialHash) return result(check, registration);
  return result(counted(await credentials.check(identity, password, fresh.credentialHash)), fresh);
}

/** Its security profile; 1 (Basic) unless assets says otherwise. */
const profileOf = (registration: ChargerRegistration): 0 | 1 | 2 => registration.securityProfile ?? 1;

/** The charger's registration; throws when the directory is down. */
async function resolveRegistration(directory: ChargerDirectory, identity: string): Promise<ChargerRegistration | null> {
  const registration = await directory.resolve(identity);
  // A cached revocation may predate a new credential (re-commissioning): ask assets once more (rate-limited).
  if (registration?.credentialRevokedAt && directory.refresh) return directory.refresh(identity);
  return registration;
}

/**
 * Decide on a WebSocket upgrade. In order:
 *  - a well-formed identity and the ocpp1.6 subprotocol (without it ocpp-rpc
 *    would accept the socket with no protocol and skip schema validation) → 400;
 *  - a charger the directory (assets) knows, registered as OCPP → 404 otherwise:
 *    an unknown code belongs to no tenant, so no tenant policy can apply;
 *  - from an allowed network, when the charger or its tenant lists some → 403;
 *  - a profile-2 charger only over TLS → 403;
 *  - a charger whose credential was revoked → 401, whatever it sends;
 *  - its password (HTTP Basic), checked against the scrypt hash assets keeps
 *    → 401 when wrong or missing (a password that passed is taken on trust for
 *    a while, against the same hash: VerifiedCredentials; a charger out of
 *    failed attempts for now is refused unchecked). A charger without a password is let in
 *    (profile 0) only while its tenant allows profile-0 commissioning → 401.
 * Directory down → 503, so the charger retries instead of being told it does
 * not exist. Every refusal is counted by reason (`refused_<reason>`).
 */
export async function authorizeCharger(deps: AuthDeps, handshake: HandshakeInfo): Promise<AuthDecision> {
  const { logger, metrics } = deps;
  const malformed = handshakeProblem(handshake);
  if (malformed) return malformed;
  const log = { chargerId: handshake.identity, remoteAddress: handshake.remoteAddress };
  let registration: ChargerRegistration | null;
  try {
    registration = await resolveRegistration(deps.directory, handshake.identity);
  } catch (err) {
    logger.warn({ err, ...log }, 'charger directory unavailable; refusing connection for now');
    return unavailable();
  }
  const refuse = (reg: ChargerRegistration | null, reason: string, status: number, message: string, detail: Record<string, unknown> = {}): AuthDecision => {
    metrics.count('OCPP16', `refused_${reason}`);
    logger.warn({ ...log, reason, ...detail }, 'refused charge point');
    if (reg) void deps.security.refusedLogin(reg, handshake.identity, reason, { remoteAddress: handshake.remoteAddress ?? null, ...detail });
    return { accept: false, status, message };
  };
  if (!registration || registration.protocol === 'YKC') return refuse(null, 'unknown_charger', 404, 'Unknown charge point');
  if (!sourceAllowed(registration.allowedSourceCidrs, handshake.remoteAddress)) return refuse(registration, 'source_network', 403, 'Forbidden');
  // Before anything it might present: a revoked charger has nothing that can get it in (not profile 0 either).
  if (registration.credentialRevokedAt) return refuse(registration, 'credential_revoked', 401, 'Unauthorized');
  if (profileOf(registration) === 2 && !deps.tls) return refuse(registration, 'tls_required', 403, 'Security profile 2 requires TLS (wss://)');

  const { credentialHash } = registration;
  if (credentialHash) {
    if (!handshake.password) return refuse(registration, 'no_password', 401, 'Unauthorized');
    let checked: Awaited<ReturnType<typeof verifyPassword>>;
    try {
      checked = await verifyPassword(deps, handshake.identity, handshake.password, { ...registration, credentialHash });
    } catch (err) {
      logger.warn({ err, ...log }, 'charger directory unavailable; refusing connection for now');
      return unavailable();
    }
    if (!checked.check.ok) return refuse(checked.registration, checked.refusal, 401, 'Unauthorized');
    return { accept: true, session: { registration: checked.registration, securityProfile: deps.tls ? 2 : 1, remoteAddress: handshake.remoteAddress } };
  }
  if (!registration.allowProfile0Commissioning) return refuse(registration, 'no_credential', 401, 'Unauthorized');
  metrics.count('OCPP16', 'profile0_commissioning');
  logger.warn(log, 'charger has no password: let in on security profile 0 (its tenant allows commissioning)');
  return { accept: true, session: { registration, securityProfile: 0, remoteAddress: handshake.remoteAddress } };
}
