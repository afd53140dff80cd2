/**
 * Who may log in as a YKC pile. A login (0x01) carries no secret, so a pile is
 * bound to what its login does carry and where it comes from:
 *  - its registration (assets) says it is a YKC pile;
 *  - it connects from an allowed network, when the pile or its tenant lists any;
 *  - the identity fields of its login (SIM ICCID, pile type, guns, network,
 *    carrier) are the ones registered with it — or, for a pile with none yet,
 *    learned at this first login if its tenant commissions that way (then
 *    enforced from the next login on);
 *  - it is not logged in already from another address on a connection that
 *    is still alive (heard from within YKC_ALIVE_MS).
 * Versions are not compared: a firmware update changes them.
 */
import type { LiveConnection } from '../connections/registry';
import { sourceAllowed } from '../connections/charger-security';
import type { ChargerDirectory, ChargerRegistration, ChargerSecurityRecorder, YkcPileIdentity } from '../ports';
import type { LoginRequest } from './messages';

/** Piles heartbeat every 10 s: a connection silent for three beats is as good as gone. */
export const YKC_ALIVE_MS = 35_000;

export const ENFORCED_FIELDS = ['sim', 'pileType', 'guns', 'network', 'carrier'] as const;

export type LoginVerdict = { ok: true } | { ok: false; reason: string; detail: Record<string, unknown> } | { ok: 'unavailable'; err: unknown };

export function identityOf(m: LoginRequest): YkcPileIdentity {
  return {
    sim: m.sim,
    pileType: m.pileType,
    guns: m.guns,
    network: m.network,
    carrier: m.carrier,
    protocolVersion: m.protocolVersion,
    programVersion: m.programVersion,
  };
}

/** The enforced fields in which `seen` differs from `registered`. ICCIDs compare as 20 digits. */
export function mismatchingFields(registered: YkcPileIdentity, seen: YkcPileIdentity): string[] {
  const norm = (k: (typeof ENFORCED_FIELDS)[number], v: YkcPileIdentity) => (k === 'sim' ? v.sim.padStart(20, '0') : String(v[k]));
  return ENFORCED_FIELDS.filter((k) => norm(k, registered) !== norm(k, seen));
}

export interface LoginCheckDeps {
  directory: ChargerDirectory;
  security: ChargerSecurityRecorder;
  now: () => Date;
}

/** The registered identity against the one seen; null when it matches (or may be learned). */
function identityVerdict(registration: ChargerRegistration, seen: YkcPileIdentity, remoteAddress: string | undefined): LoginVerdict | null {
  const registered = registration.ykcIdentity;
  if (!registered) {
    return registration.learnYkcIdentityOnFirstLogin
      ? null
      : { ok: false, reason: 'identity_not_registered', detail: { remoteAddress: remoteAddress ?? null } };
  }
  const fields = mismatchingFields(registered, seen);
  if (!fields.length) return null;
  return {
    ok: false,
    reason: 'identity_mismatch',
    detail: { fields, seen: Object.fromEntries(fields.map((f) => [f, seen[f as keyof YkcPileIdentity]])), remoteAddress: remoteAddress ?? null },
  };
}

/** Learned only once every other check passed: a refused login teaches nothing. */
async function learnIdentity(
  deps: LoginCheckDeps,
  registration: ChargerRegistration,
  pileNo: string,
  seen: YkcPileIdentity,
  remoteAddress: string | undefined,
): Promise<LoginVerdict> {
  let outcome;
  let now: YkcPileIdentity | null = null;
  try {
    outcome = await deps.security.learnYkcIdentity(registration, pileNo, seen);
    // Someone (another bridge, an operator) registered one meanwhile: that one counts.
    if (outcome === 'ALREADY_REGISTERED') now = (await (deps.directory.refresh ?? deps.directory.resolve).call(deps.directory, pileNo))?.ykcIdentity ?? null;
  } catch (err) {
    return { ok: 'unavailable', err };
  }
  if (outcome === 'ALREADY_REGISTERED' && now) {
    const fields = mismatchingFields(now, seen);
    if (fields.length) return { ok: false, reason: 'identity_mismatch', detail: { fields, remoteAddress: remoteAddress ?? null } };
  } else if (outcome !== 'LEARNED') {
    return { ok: false, reason: 'identity_not_registered', detail: { outcome } };
  }
  return { ok: true };
}

/**
 * Decide on a login of a registered pile. `previous` is the connection this
 * bridge holds for the pile, if any.
 */
export async function checkYkcLogin(
  deps: LoginCheckDeps,
  registration: ChargerRegistration,
  m: LoginRequest,
  remoteAddress: string | undefined,
  previous: LiveConnection | undefined,
): Promise<LoginVerdict> {
  if (registration.protocol === 'OCPP16') return { ok: false, reason: 'not_a_ykc_pile', detail: {} };
  if (!sourceAllowed(registration.allowedSourceCidrs, remoteAddress))
    return { ok: false, reason: 'source_network', detail: { remoteAddress: remoteAddress ?? null } };
  const seen = identityOf(m);
  const mismatch = identityVerdict(registration, seen, remoteAddress);
  if (mismatch) return mismatch;
  if (previous && previous.remoteAddress !== remoteAddress && deps.now().getTime() - previous.session.lastSeenAt.getTime() < YKC_ALIVE_MS) {
    return { ok: false, reason: 'already_connected', detail: { remoteAddress: remoteAddress ?? null, connectedFrom: previous.remoteAddress ?? null } };
  }
  if (!registration.ykcIdentity) return learnIdentity(deps, registration, m.pileNo, seen, remoteAddress);
  return { ok: true };
}
