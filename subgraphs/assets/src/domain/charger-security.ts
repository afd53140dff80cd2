/**
 * Who may connect as a charger: OCPP security profiles and passwords, YKC pile
 * identities and source networks, the tenant's charger-security policy, and
 * the audit trail of every change. Plain TypeScript; persistence implements
 * the port, the bridge enforces what is stored here.
 */
import { isIP } from 'node:net';
import {
  AppError,
  type AuditActor,
  CHARGER_PASSWORD_MAX,
  CHARGER_PASSWORD_MIN,
  ErrorCodes,
  generateChargerPassword,
  hashChargerPassword,
  isUuid,
  parseInput,
  userIssue,
} from '@evcs/platform';
import { z } from 'zod';
import { failed, ok, userError, UserError, UserErrorCodes, WriteResult } from './model';
import type { ChargerSecurityStore } from './ports';

export type SecurityProfile = 0 | 1 | 2;
export const SECURITY_PROFILES: readonly SecurityProfile[] = [0, 1, 2];
/** OCPP chargers are registered with profile 1 (Basic auth) unless told otherwise. */
export const DEFAULT_OCPP_PROFILE: SecurityProfile = 1;

/**
 * What a YKC login (0x01) carries about the pile, registered with it. The
 * enforced fields are the ones a pile does not change by itself; the versions
 * change with every firmware update and are kept for reference only.
 */
export interface YkcPileIdentity {
  /** SIM ICCID as the login's 10 BCD bytes read (20 digits; zeros for a pile without SIM) */
  sim: string;
  pileType: number;
  guns: number;
  network: number;
  carrier: number;
  protocolVersion?: number | null;
  programVersion?: string | null;
}
export const ENFORCED_YKC_FIELDS = ['sim', 'pileType', 'guns', 'network', 'carrier'] as const;

/** A charger's security as operators see it: never the password or its hash. */
export interface ChargerSecurityView {
  chargerId: string;
  tenantId: string;
  protocol: string;
  securityProfile: SecurityProfile | null;
  hasPassword: boolean;
  passwordSetAt: Date | null;
  /** When its credential was revoked (no password verifies, profile-0 commissioning does not let it in); null once a new one is set. */
  credentialRevokedAt: Date | null;
  ykcIdentity: YkcPileIdentity | null;
  ykcIdentitySource: 'REGISTERED' | 'LEARNED' | null;
  ykcIdentityAt: Date | null;
  allowedSourceCidrs: string[];
  desKeyRef: string | null;
}

export interface ChargerSecurityPolicy {
  allowProfile0Commissioning: boolean;
  learnYkcIdentityOnFirstLogin: boolean;
  allowedSourceCidrs: string[];
}
export const DEFAULT_POLICY: ChargerSecurityPolicy = { allowProfile0Commissioning: false, learnYkcIdentityOnFirstLogin: false, allowedSourceCidrs: [] };

/** Who changes security: a user (or a service acting for the tenant), and for which request. */
export interface SecurityActor {
  tenantId: string;
  /** null = every station of the tenant */
  stationIds: readonly string[] | null;
  subject: string;
  requestId: string | null;
  /** who, for the audit trail */
  audit: AuditActor;
}

/** A change to record, in the platform audit trail; `target` is `charger:<id>` or `charger-security-policy` (the tenant's). */
export interface AuditEntry {
  actor: AuditActor;
  action: string;
  target: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

/** How a change is audited: by whom, as what, and (optionally) what the operator said about it, kept beside `after`. */
export interface AuditNote {
  actor: AuditActor;
  action: string;
  detail?: Record<string, unknown>;
}

/** An entry as assetAuditLog (the older, flat shape) shows it. */
export interface AuditRecord {
  id: string;
  actor: string;
  action: string;
  target: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  requestId: string | null;
  at: Date;
}

/** A change to a charger's security; only the keys present change. */
export interface SecurityChange {
  securityProfile?: SecurityProfile | null;
  /** A new hash also ends a revocation. */
  passwordHash?: string | null;
  /** true: the hash is removed and the charger marked revoked. */
  revokeCredential?: true;
  ykcIdentity?: { identity: YkcPileIdentity; source: 'REGISTERED' | 'LEARNED' } | null;
  allowedSourceCidrs?: string[];
  desKeyRef?: string | null;
}

/** A plain password handed out once: in the mutation's payload, never stored, never logged. */
export interface IssuedCredential {
  chargerId: string;
  password: string;
  securityProfile: SecurityProfile;
}

/** What an operator writes about a revocation: required, kept on the audit trail. */
export const REVOKE_REASON_MAX = 500;

const notFound = <T>(): WriteResult<T> => failed(userError(UserErrorCodes.NOT_FOUND, 'chargerId', 'charger not found'));
const invalid = (field: string, message: string): UserError => userError(UserErrorCodes.INVALID, field, message);

// Input rules as zod schemas (platform parseInput): every problem is INVALID, named at its field.
const INVALID = { required: UserErrorCodes.INVALID, invalid: UserErrorCodes.INVALID };
const refuse = (ctx: z.RefinementCtx, message: string): void => userIssue(ctx, UserErrorCodes.INVALID, message);

/** A network; a bare address is a /32 or /128. */
const cidr = z.string().transform((raw, ctx) => {
  const [addr, bits, extra] = raw.trim().split('/');
  const family = isIP(addr ?? '');
  const max = family === 6 ? 128 : 32;
  const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
  if (!family || extra !== undefined || !(prefix >= 0 && prefix <= max))
    refuse(ctx, `${JSON.stringify(raw)} is not an IPv4 or IPv6 network (e.g. 10.8.0.0/16)`);
  return `${addr}/${prefix}`;
});

/**
 * CIDR blocks in canonical-enough form ("10.0.0.0/8", "2001:db8::/32"); a bare address is a /32 or /128.
 * A bad entry is named `<field>.<position>` (as the API has always named it, not fieldPath's brackets).
 */
export function validateCidrs(field: string, list: readonly string[]): WriteResult<string[]> {
  const errors: UserError[] = [];
  const out: string[] = [];
  if (list.length > 32) errors.push(invalid(field, 'at most 32 networks'));
  list.forEach((raw, i) => {
    const r = parseInput(cidr, raw, { codes: INVALID, prefix: [`${field}.${i}`] });
    if (r.ok) out.push(r.value);
    else errors.push(...r.errors);
  });
  return errors.length ? failed(...errors) : ok(out);
}

const chargerPassword = z.string().superRefine((password, ctx) => {
  const n = Buffer.byteLength(password, 'utf8');
  if (n < CHARGER_PASSWORD_MIN || n > CHARGER_PASSWORD_MAX)
    refuse(ctx, `a charger password is ${CHARGER_PASSWORD_MIN} to ${CHARGER_PASSWORD_MAX} bytes (OCPP 1.6 security whitepaper)`);
  // HTTP Basic splits user and password on the first colon of the decoded value: the password may hold one, the identity not.
  else if (/[\u0000-\u001f\u007f]/.test(password)) refuse(ctx, 'a charger password has no control characters');
});

export function validatePassword(field: string, password: string): UserError | null {
  const r = parseInput(chargerPassword, password, { codes: INVALID, prefix: [field] });
  return r.ok ? null : r.errors[0];
}

/** One byte of the login frame (`optional`: null or absent is fine too). */
const byte = (optional = false) =>
  z.unknown().superRefine((v, ctx) => {
    if (optional && (v === null || v === undefined)) return;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 255) refuse(ctx, `${String(ctx.path.at(-1))} is one byte (0..255)`);
  });

const ykcIdentity = z
  .object({
    sim: z
      .string()
      .transform((s) => s.trim())
      .superRefine((sim, ctx) => {
        if (!/^\d{1,20}$/.test(sim)) refuse(ctx, 'sim is the ICCID: up to 20 digits');
      }),
    pileType: byte(),
    guns: byte(),
    network: byte(),
    carrier: byte(),
    protocolVersion: byte(true),
    programVersion: z
      .string()
      .nullish()
      .superRefine((v, ctx) => {
        if (v && v.length > 8) refuse(ctx, 'programVersion is at most 8 ASCII characters');
      }),
  })
  // The login carries 10 BCD bytes: compare as 20 digits, however the operator typed it.
  .transform((i): YkcPileIdentity => ({
    sim: i.sim.padStart(20, '0'),
    pileType: i.pileType as number,
    guns: i.guns as number,
    network: i.network as number,
    carrier: i.carrier as number,
    protocolVersion: (i.protocolVersion as number | null | undefined) ?? null,
    programVersion: i.programVersion ?? null,
  }));

export const validateYkcIdentity = (field: string, i: YkcPileIdentity): WriteResult<YkcPileIdentity> =>
  parseInput(ykcIdentity, i, { codes: INVALID, prefix: [field] });

const desKeyRef = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'a key reference is 1..64 letters, digits, _ . : -');

/** The identity fields of a login that differ from the registered ones (enforced fields only). */
export function ykcIdentityMismatch(registered: YkcPileIdentity, seen: YkcPileIdentity): string[] {
  return ENFORCED_YKC_FIELDS.filter((k) => String(registered[k]) !== String(seen[k]));
}

/** A profile for a charger of `protocol`: OCPP 0..2; YKC has no OCPP profile. */
function checkProfile(protocol: string, profile: SecurityProfile | null | undefined): UserError | null {
  if (profile === null || profile === undefined)
    return protocol === 'OCPP16' ? invalid('securityProfile', 'an OCPP charger has a security profile (0, 1 or 2)') : null;
  if (protocol !== 'OCPP16') return invalid('securityProfile', 'security profiles are OCPP; a YKC pile is bound by its identity and source network');
  if (!SECURITY_PROFILES.includes(profile))
    return invalid('securityProfile', 'security profile 0, 1 or 2 (profile 3, TLS client certificates, is not offered)');
  return null;
}

/**
 * Rules: a credential only for OCPP chargers, returned once; a profile-1/2
 * charger without a password cannot connect (unless its tenant allows profile 0
 * for commissioning, which the bridge checks); a YKC identity is registered or
 * learned once, and reset only on purpose. Every change is audited by the store.
 */
export class ChargerSecurityService {
  constructor(
    private readonly store: ChargerSecurityStore,
    private readonly newPassword: () => string = generateChargerPassword,
  ) {}

  view(actor: SecurityActor, chargerId: string): Promise<ChargerSecurityView | null> {
    return isUuid(chargerId) ? this.store.view(actor.tenantId, chargerId, actor.stationIds) : Promise.resolve(null);
  }

  views(actor: SecurityActor, chargerIds: readonly string[]): Promise<ChargerSecurityView[]> {
    const ids = chargerIds.filter(isUuid);
    return ids.length ? this.store.views(actor.tenantId, ids, actor.stationIds) : Promise.resolve([]);
  }

  /** Generate (or set, when `password` is given) the charger's Basic-auth password. The plain password is returned once. */
  async rotateCredential(actor: SecurityActor, chargerId: string, password: string | null): Promise<WriteResult<IssuedCredential>> {
    if (!isUuid(chargerId)) return notFound();
    if (password !== null) {
      const e = validatePassword('password', password);
      if (e) return failed(e);
    }
    const plain = password ?? this.newPassword();
    const hash = await hashChargerPassword(plain);
    const r = await this.store.change(
      actor.tenantId,
      chargerId,
      actor.stationIds,
      (cur) => {
        if (cur.protocol !== 'OCPP16')
          return failed(invalid('chargerId', 'a YKC pile has no password: its login is bound to its registered identity and source network'));
        // A password on a profile-0 charger makes it a profile-1 charger: a password nobody checks protects nothing.
        const profile = cur.securityProfile === 0 || cur.securityProfile === null ? DEFAULT_OCPP_PROFILE : cur.securityProfile;
        return ok({ passwordHash: hash, securityProfile: profile });
      },
      { actor: actor.audit, action: password === null ? 'CHARGER_CREDENTIAL_GENERATED' : 'CHARGER_CREDENTIAL_SET' },
    );
    return r.ok ? ok({ chargerId, password: plain, securityProfile: (r.value.securityProfile ?? DEFAULT_OCPP_PROFILE) as SecurityProfile }) : r;
  }

  /**
   * Revoke the charger's credential at once (a leaked password, a stolen or decommissioned
   * charger): its hash is removed, so no password verifies and the bridge drops the connection
   * made with it (the change is announced to the bridges); profile-0 commissioning does not let
   * a revoked charger in either. rotateCredential gives it a new one. The reason is audited.
   */
  async revokeCredential(actor: SecurityActor, chargerId: string, reason: string): Promise<WriteResult<ChargerSecurityView>> {
    const why = reason.trim();
    if (!why) return failed(userError(UserErrorCodes.REQUIRED, 'reason', 'say why the credential is revoked (it is kept on the audit trail)'));
    if (why.length > REVOKE_REASON_MAX) return failed(invalid('reason', `a reason is at most ${REVOKE_REASON_MAX} characters`));
    if (!isUuid(chargerId)) return notFound();
    return this.store.change(
      actor.tenantId,
      chargerId,
      actor.stationIds,
      (cur) => {
        if (cur.protocol !== 'OCPP16') return failed(invalid('chargerId', 'a YKC pile has no password: change its identity or source networks to keep it out'));
        if (cur.credentialRevokedAt) return failed(userError(UserErrorCodes.ALREADY_REVOKED, 'chargerId', 'its credential is already revoked'));
        return ok({ revokeCredential: true as const });
      },
      { actor: actor.audit, action: 'CHARGER_CREDENTIAL_REVOKED', detail: { reason: why } },
    );
  }

  async update(
    actor: SecurityActor,
    chargerId: string,
    input: { securityProfile?: number | null; allowedSourceCidrs?: string[] | null; desKeyRef?: string | null },
  ): Promise<WriteResult<ChargerSecurityView>> {
    if (!isUuid(chargerId)) return notFound();
    const change: SecurityChange = {};
    const errors: UserError[] = [];
    if (input.allowedSourceCidrs !== undefined && input.allowedSourceCidrs !== null) {
      const c = validateCidrs('allowedSourceCidrs', input.allowedSourceCidrs);
      if (c.ok) change.allowedSourceCidrs = c.value;
      else errors.push(...c.errors);
    }
    if (input.desKeyRef !== undefined) {
      const ref = input.desKeyRef === null ? null : parseInput(desKeyRef, input.desKeyRef, { codes: INVALID, prefix: ['desKeyRef'] });
      if (ref && !ref.ok) errors.push(...ref.errors);
      else change.desKeyRef = input.desKeyRef;
    }
    if (errors.length) return failed(...errors);
    return this.store.change(
      actor.tenantId,
      chargerId,
      actor.stationIds,
      (cur) => {
        if (input.securityProfile !== undefined && input.securityProfile !== null) {
          const e = checkProfile(cur.protocol, input.securityProfile as SecurityProfile);
          if (e) return failed(e);
          change.securityProfile = input.securityProfile as SecurityProfile;
        }
        if (change.desKeyRef && cur.protocol !== 'YKC') return failed(invalid('desKeyRef', '3DES keys are for YKC piles'));
        return ok(change);
      },
      { actor: actor.audit, action: 'CHARGER_SECURITY_CHANGED' },
    );
  }

  /** Register the identity a YKC pile's login must carry (null: forget it, so the pile is commissioned again). */
  async registerYkcIdentity(actor: SecurityActor, chargerId: string, identity: YkcPileIdentity | null): Promise<WriteResult<ChargerSecurityView>> {
    if (!isUuid(chargerId)) return notFound();
    let valid: YkcPileIdentity | null = null;
    if (identity) {
      const v = validateYkcIdentity('identity', identity);
      if (!v.ok) return v;
      valid = v.value;
    }
    return this.store.change(
      actor.tenantId,
      chargerId,
      actor.stationIds,
      (cur) =>
        cur.protocol !== 'YKC'
          ? failed(invalid('chargerId', 'not a YKC pile'))
          : ok({ ykcIdentity: valid ? { identity: valid, source: 'REGISTERED' as const } : null }),
      { actor: actor.audit, action: valid ? 'YKC_IDENTITY_REGISTERED' : 'YKC_IDENTITY_RESET' },
    );
  }

  /**
   * The bridge saw a pile without a registered identity log in: learn it if the
   * tenant commissions that way. Only the first login is learned; a pile with an
   * identity keeps it (a concurrent learner loses).
   */
  async learnYkcIdentity(
    actor: SecurityActor,
    chargerId: string,
    identity: YkcPileIdentity,
  ): Promise<'LEARNED' | 'ALREADY_REGISTERED' | 'NOT_ALLOWED' | 'NOT_FOUND'> {
    if (!isUuid(chargerId)) return 'NOT_FOUND';
    const v = validateYkcIdentity('identity', identity);
    if (!v.ok) throw new AppError(ErrorCodes.BAD_USER_INPUT, v.errors.map((e) => e.message).join('; '));
    let outcome: 'LEARNED' | 'ALREADY_REGISTERED' | 'NOT_ALLOWED' = 'LEARNED';
    const r = await this.store.change(
      actor.tenantId,
      chargerId,
      null,
      (cur, policy) => {
        if (cur.protocol !== 'YKC') return failed(invalid('chargerId', 'not a YKC pile'));
        if (cur.ykcIdentity) return ((outcome = 'ALREADY_REGISTERED'), failed(invalid('chargerId', 'already registered')));
        if (!policy.learnYkcIdentityOnFirstLogin) return ((outcome = 'NOT_ALLOWED'), failed(invalid('chargerId', 'the tenant does not learn identities')));
        return ok({ ykcIdentity: { identity: v.value, source: 'LEARNED' as const } });
      },
      { actor: actor.audit, action: 'YKC_IDENTITY_LEARNED' },
    );
    if (!r.ok && r.errors[0]?.code === UserErrorCodes.NOT_FOUND) return 'NOT_FOUND';
    return outcome;
  }

  /** A login the bridge refused (mismatching identity, foreign network): on the record, without secrets. */
  async recordRefusedLogin(actor: SecurityActor, chargerId: string, reason: string, detail: Record<string, unknown>): Promise<void> {
    if (!isUuid(chargerId)) throw new AppError(ErrorCodes.BAD_USER_INPUT, 'chargerId is not a UUID');
    if (!/^[a-z][a-z0-9_]{1,63}$/.test(reason)) throw new AppError(ErrorCodes.BAD_USER_INPUT, 'reason is a snake_case code');
    await this.store.audit(actor.tenantId, {
      actor: actor.audit,
      action: 'CHARGER_LOGIN_REFUSED',
      target: `charger:${chargerId}`,
      before: null,
      after: { reason, ...detail },
    });
  }

  policy(tenantId: string): Promise<ChargerSecurityPolicy> {
    return this.store.policy(tenantId);
  }

  async setPolicy(actor: SecurityActor, input: Partial<ChargerSecurityPolicy>): Promise<WriteResult<ChargerSecurityPolicy>> {
    if (actor.stationIds) throw new AppError(ErrorCodes.FORBIDDEN, "a station-scoped identity cannot change the tenant's charger-security policy");
    const current = await this.store.policy(actor.tenantId);
    const next: ChargerSecurityPolicy = {
      allowProfile0Commissioning: input.allowProfile0Commissioning ?? current.allowProfile0Commissioning,
      learnYkcIdentityOnFirstLogin: input.learnYkcIdentityOnFirstLogin ?? current.learnYkcIdentityOnFirstLogin,
      allowedSourceCidrs: current.allowedSourceCidrs,
    };
    if (input.allowedSourceCidrs) {
      const c = validateCidrs('allowedSourceCidrs', input.allowedSourceCidrs);
      if (!c.ok) return c;
      next.allowedSourceCidrs = c.value;
    }
    return ok(await this.store.setPolicy(actor.tenantId, next, { actor: actor.audit, action: 'CHARGER_SECURITY_POLICY_CHANGED' }));
  }

  auditLog(tenantId: string, first: number, beforeId: string | null): Promise<AuditRecord[]> {
    if (!Number.isInteger(first) || first < 1 || first > 500) throw new AppError(ErrorCodes.BAD_USER_INPUT, '`first` must be between 1 and 500');
    if (beforeId !== null && !/^\d{1,18}$/.test(beforeId)) throw new AppError(ErrorCodes.BAD_USER_INPUT, '`beforeId` is an audit entry id');
    return this.store.auditLog(tenantId, first, beforeId);
  }
}

type InitialSecurityInput = {
  securityProfile?: number | null;
  password?: string | null;
  ykcIdentity?: YkcPileIdentity | null;
  allowedSourceCidrs?: string[] | null;
};

/** What a new charger starts with: OCPP gets profile 1 (or the one asked for) and, unless profile 0, a generated password. */
export async function initialSecurity(
  protocol: string,
  input: InitialSecurityInput,
  newPassword: () => string = generateChargerPassword,
): Promise<WriteResult<{ change: SecurityChange; password: string | null }>> {
  const errors: UserError[] = [];
  const change: SecurityChange = {};
  let password: string | null = null;
  if (protocol === 'OCPP16') password = await initialOcppSecurity(protocol, input, newPassword, errors, change);
  else initialYkcSecurity(input, errors, change);
  if (input.allowedSourceCidrs) {
    const c = validateCidrs('security.allowedSourceCidrs', input.allowedSourceCidrs);
    if (c.ok) change.allowedSourceCidrs = c.value;
    else errors.push(...c.errors);
  }
  return errors.length ? failed(...errors) : ok({ change, password });
}

/** Fills `change` and `errors` for an OCPP charger; the plain password it is given, if any. */
async function initialOcppSecurity(
  protocol: string,
  input: InitialSecurityInput,
  newPassword: () => string,
  errors: UserError[],
  change: SecurityChange,
): Promise<string | null> {
  const profile = (input.securityProfile ?? DEFAULT_OCPP_PROFILE) as SecurityProfile;
  const e = checkProfile(protocol, profile);
  if (e) errors.push(e);
  change.securityProfile = profile;
  if (input.password !== null && input.password !== undefined) {
    const pe =
      profile === 0
        ? invalid('security.password', 'a profile-0 charger has no password (profile 1 or 2 use one)')
        : validatePassword('security.password', input.password);
    if (pe) errors.push(pe);
  }
  if (input.ykcIdentity) errors.push(invalid('security.ykcIdentity', 'a YKC identity is for YKC piles'));
  if (profile === 0) return null;
  const password = input.password ?? newPassword();
  change.passwordHash = await hashChargerPassword(password);
  return password;
}

function initialYkcSecurity(input: InitialSecurityInput, errors: UserError[], change: SecurityChange): void {
  if (input.securityProfile !== null && input.securityProfile !== undefined) errors.push(invalid('security.securityProfile', 'security profiles are OCPP'));
  if (input.password) errors.push(invalid('security.password', 'a YKC pile has no password'));
  if (input.ykcIdentity) {
    const v = validateYkcIdentity('security.ykcIdentity', input.ykcIdentity);
    if (v.ok) change.ykcIdentity = { identity: v.value, source: 'REGISTERED' };
    else errors.push(...v.errors);
  }
}
