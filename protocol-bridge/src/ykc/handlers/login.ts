import { ChargerSession } from '../../connections/charger-session';
import type { ChargerRegistration } from '../../ports';
import { ykcLiveConnection } from '../commands';
import type { LoginKey, YkcConnection } from '../connection';
import type { DesKeyring } from '../des';
import type { YkcFrame } from '../frame';
import { checkYkcLogin, type LoginVerdict } from '../login-check';
import { LoginRequest, loginReply } from '../messages';

/**
 * A pile registered with a key logs in encrypted with that key, and one the
 * keyring lacks can't log in at all; a plain login of a keyed pile would let
 * anyone who knows the pile number (and identity) in without the key.
 */
function keyVerdict(registration: ChargerRegistration, key: LoginKey | undefined, keys: DesKeyring): LoginVerdict | null {
  if (!registration.desKeyRef) return null;
  if (!keys.cipherFor(registration.desKeyRef)) return { ok: false, reason: 'des_key_unknown', detail: { desKeyRef: registration.desKeyRef } };
  if (!key) return { ok: false, reason: 'plain_login_keyed_pile', detail: {} };
  return null;
}

/**
 * 0x01 → 0x02. The pile is looked up in the directory and checked (ykc/login-check.ts, and its
 * 3DES key); an admitted pile becomes the connection's, is registered (taking over an older
 * connection of the same pile) and announced (charger.connected, charger.booted) before the
 * login is answered. Directory or assets unavailable: no answer, the pile logs in again.
 */
export async function handleLogin(conn: YkcConnection, frame: YkcFrame, m: LoginRequest, key?: LoginKey): Promise<void> {
  const { metrics } = conn.services;
  // The pile proved it holds the key: even a refusal goes back encrypted.
  if (key) conn.cipher = key.cipher;
  if (conn.session) {
    if (m.pileNo === conn.pileNo) return conn.send(loginReply, { pileNo: m.pileNo, accepted: true }, frame.seq);
    metrics.count('YKC', 'second_login_other_pile');
    return conn.end('login for another pile on the same connection');
  }
  if (!conn.services.accepting()) return conn.end('bridge shutting down');
  const registration = await registrationFor(conn, m, key);
  if (registration === undefined) return;
  if (!registration) {
    metrics.count('YKC', 'unknown_pile');
    conn.log.info({ chargerId: m.pileNo }, 'refused unknown YKC pile');
    return refuse(conn, frame, m, 'unknown pile');
  }
  const verdict = await verdictFor(conn, registration, m, key);
  if (verdict.ok === 'unavailable') {
    conn.log.warn({ err: verdict.err, chargerId: m.pileNo }, 'could not record the pile identity; YKC login left unanswered');
    return;
  }
  if (!verdict.ok) {
    metrics.count('YKC', `refused_${verdict.reason}`);
    conn.log.warn({ chargerId: m.pileNo, reason: verdict.reason, ...verdict.detail }, 'refused YKC login');
    void conn.services.security.refusedLogin(registration, m.pileNo, verdict.reason, verdict.detail);
    return refuse(conn, frame, m, `login refused: ${verdict.reason}`);
  }
  return admit(conn, frame, m, registration);
}

/** The pile's registration; `null`: unknown; `undefined`: the directory can't tell now. */
async function registrationFor(conn: YkcConnection, m: LoginRequest, key: LoginKey | undefined): Promise<ChargerRegistration | null | undefined> {
  if (key) return key.registration;
  try {
    return await conn.services.directory.resolve(m.pileNo);
  } catch (err) {
    // Can't tell: no answer, the pile logs in again.
    conn.log.warn({ err, chargerId: m.pileNo }, 'charger directory unavailable; YKC login left unanswered');
    return undefined;
  }
}

async function verdictFor(conn: YkcConnection, registration: ChargerRegistration, m: LoginRequest, key: LoginKey | undefined): Promise<LoginVerdict> {
  const { directory, security, now, desKeys, registry } = conn.services;
  return (
    keyVerdict(registration, key, desKeys) ??
    checkYkcLogin({ directory, security, now }, registration, m, conn.remoteAddress, registry.get(registration.tenantId, m.pileNo, 'YKC'))
  );
}

function refuse(conn: YkcConnection, frame: YkcFrame, m: LoginRequest, reason: string): void {
  conn.send(loginReply, { pileNo: m.pileNo, accepted: false }, frame.seq);
  conn.end(reason);
}

async function admit(conn: YkcConnection, frame: YkcFrame, m: LoginRequest, registration: ChargerRegistration): Promise<void> {
  const { config, publisher, stamp, registry } = conn.services;
  conn.pileNo = m.pileNo;
  conn.stationId = registration.stationId;
  conn.log = conn.log.child({ chargerId: m.pileNo, tenantId: registration.tenantId });
  const previous = registry.get(registration.tenantId, m.pileNo);
  const session = new ChargerSession(
    { tenantId: registration.tenantId, chargerId: m.pileNo, protocol: 'YKC', bridgeId: config.bridgeId },
    publisher,
    stamp,
    previous?.session.finished,
  );
  conn.session = session;
  conn.live = ykcLiveConnection(conn, session);
  registry.register(conn.live);
  try {
    await session.begin(conn.remoteAddress);
    await session.emit('charger.booted', {
      vendor: 'YKC',
      model: `${m.pileType === 1 ? 'AC' : 'DC'} ${m.guns} gun(s), protocol v${(m.protocolVersion / 10).toFixed(1)}`,
      firmwareVersion: m.programVersion,
    });
  } catch (err) {
    conn.log.error({ err }, 'could not publish the login; closing so the pile logs in again');
    return conn.end('temporarily unavailable');
  }
  conn.log.info('YKC pile logged in');
  conn.send(loginReply, { pileNo: m.pileNo, accepted: true }, frame.seq);
}
