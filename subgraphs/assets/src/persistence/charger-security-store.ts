import { appendAuditEntry, Knex, PgAuditReader, withTenant } from '@evcs/platform';
import type {
  AuditEntry,
  AuditNote,
  AuditRecord,
  ChargerSecurityPolicy,
  ChargerSecurityView,
  SecurityChange,
  SecurityProfile,
  YkcPileIdentity,
} from '../domain/charger-security';
import { DEFAULT_POLICY } from '../domain/charger-security';
import type { ChargerSecurityStore } from '../domain/ports';
import { failed, ok, userError, UserErrorCodes, WriteResult } from '../domain/model';
import { publishChargers } from './charger-events';
import { Charger } from './models';

interface SecurityRow {
  charger_id: string;
  tenant_id: string;
  protocol: string;
  security_profile: number | null;
  has_password: boolean;
  password_set_at: Date | null;
  credential_revoked_at: Date | null;
  ykc_identity: YkcPileIdentity | null;
  ykc_identity_source: 'REGISTERED' | 'LEARNED' | null;
  ykc_identity_at: Date | null;
  allowed_source_cidrs: string[] | null;
  des_key_ref: string | null;
}

/** The charger joined with its security row; never selects the hash, only whether there is one. */
const VIEW_COLUMNS = ` c.id as charger_id, c.tenant_id, c.protocol,
         coalesce(s.security_profile, case when c.protocol = 'OCPP16' then 1::smallint end) as security_profile,
         s.password_hash is not null as has_password, s.password_set_at, s.credential_revoked_at,
         s.ykc_identity, s.ykc_identity_source, s.ykc_identity_at,
         coalesce(s.allowed_source_cidrs::text[], '{}') as allowed_source_cidrs, s.des_key_ref
    from assets.chargers c
    left join assets.charger_security s on s.charger_id = c.id and s.tenant_id = c.tenant_id`;
const VIEW_SQL = `select ${VIEW_COLUMNS} where c.id = ? and c.tenant_id = ? and c.registration_state = 'REGISTERED'`;

const toView = (r: SecurityRow): ChargerSecurityView => ({
  chargerId: r.charger_id,
  tenantId: r.tenant_id,
  protocol: r.protocol,
  securityProfile: r.security_profile as SecurityProfile | null,
  hasPassword: r.has_password,
  passwordSetAt: r.password_set_at,
  credentialRevokedAt: r.credential_revoked_at,
  ykcIdentity: r.ykc_identity,
  ykcIdentitySource: r.ykc_identity_source,
  ykcIdentityAt: r.ykc_identity_at,
  allowedSourceCidrs: r.allowed_source_cidrs ?? [],
  desKeyRef: r.des_key_ref,
});

/** What the audit log keeps of a view: no secrets (whether a password is set, and when, but not the password or hash). */
const auditable = (v: ChargerSecurityView): Record<string, unknown> => ({
  securityProfile: v.securityProfile,
  hasPassword: v.hasPassword,
  passwordSetAt: v.passwordSetAt,
  credentialRevokedAt: v.credentialRevokedAt,
  ykcIdentity: v.ykcIdentity,
  ykcIdentitySource: v.ykcIdentitySource,
  allowedSourceCidrs: v.allowedSourceCidrs,
  desKeyRef: v.desKeyRef,
});

async function readView(trx: Knex.Transaction, tenantId: string, chargerId: string, lock: boolean): Promise<ChargerSecurityView | null> {
  const { rows } = await trx.raw<{ rows: SecurityRow[] }>(VIEW_SQL + (lock ? ' for update of c' : ''), [chargerId, tenantId]);
  return rows[0] ? toView(rows[0]) : null;
}

/**
 * Assets' audit entries go to the platform audit trail (`assets.audit_entries`, appendAuditEntry)
 * in the change's transaction. `charger:<id>` targets the charger; a bare type (the tenant's
 * security policy) targets the tenant.
 */
export async function appendAudit(trx: Knex.Transaction, tenantId: string, e: AuditEntry): Promise<void> {
  const sep = e.target.indexOf(':');
  const target = sep > 0 ? { type: e.target.slice(0, sep), id: e.target.slice(sep + 1) } : { type: e.target, id: tenantId };
  await appendAuditEntry(trx, { tenantId, actor: e.actor, action: e.action, target, before: e.before, after: e.after });
}

/** Upsert the charger's security row with the keys of `change`. */
export async function writeSecurity(trx: Knex.Transaction, tenantId: string, chargerId: string, change: SecurityChange): Promise<void> {
  const cols: Record<string, unknown> = {};
  if (change.securityProfile !== undefined) cols.security_profile = change.securityProfile;
  if (change.passwordHash !== undefined) {
    cols.password_hash = change.passwordHash;
    cols.password_set_at = change.passwordHash === null ? null : trx.fn.now();
    if (change.passwordHash !== null) cols.credential_revoked_at = null;
  }
  if (change.revokeCredential) {
    cols.password_hash = null;
    cols.password_set_at = null;
    cols.credential_revoked_at = trx.fn.now();
  }
  if (change.ykcIdentity !== undefined) {
    cols.ykc_identity = change.ykcIdentity === null ? null : JSON.stringify(change.ykcIdentity.identity);
    cols.ykc_identity_source = change.ykcIdentity?.source ?? null;
    cols.ykc_identity_at = change.ykcIdentity === null ? null : trx.fn.now();
  }
  if (change.allowedSourceCidrs !== undefined) cols.allowed_source_cidrs = trx.raw('?::cidr[]', [change.allowedSourceCidrs]);
  if (change.desKeyRef !== undefined) cols.des_key_ref = change.desKeyRef;
  await trx('charger_security')
    .insert({ charger_id: chargerId, tenant_id: tenantId, ...cols })
    .onConflict('charger_id')
    .merge({ ...cols, updated_at: trx.fn.now() });
}

/**
 * Charger security in SQL; each method one transaction in the tenant (RLS). The security view is
 * a join with defaults (coalesce, cidr[] as text[]) and its writes are upserts with casts, so it
 * stays on knex; the charger itself is read through its model.
 */
export class PgChargerSecurityStore implements ChargerSecurityStore {
  constructor(private readonly knex: Knex) {}

  async view(tenantId: string, chargerId: string, stations: readonly string[] | null): Promise<ChargerSecurityView | null> {
    return withTenant(this.knex, tenantId, async (trx) => {
      if (stations && !(await PgChargerSecurityStore.inStations(trx, tenantId, chargerId, stations))) return null;
      return readView(trx, tenantId, chargerId, false);
    });
  }

  views(tenantId: string, chargerIds: readonly string[], stations: readonly string[] | null): Promise<ChargerSecurityView[]> {
    return withTenant(this.knex, tenantId, async (trx) => {
      const { rows } = await trx.raw<{ rows: SecurityRow[] }>(
        `select ${VIEW_COLUMNS} where c.id = any(?::uuid[]) and c.tenant_id = ? and c.registration_state = 'REGISTERED'${stations ? ' and c.station_id = any(?::uuid[])' : ''}`,
        stations ? [[...chargerIds], tenantId, [...stations]] : [[...chargerIds], tenantId],
      );
      return rows.map(toView);
    });
  }

  private static async inStations(trx: Knex.Transaction, tenantId: string, chargerId: string, stations: readonly string[]): Promise<boolean> {
    return Boolean(await Charger.query(trx).findOne({ id: chargerId, tenant_id: tenantId }).whereIn('station_id', stations).select('id'));
  }

  change(
    tenantId: string,
    chargerId: string,
    stations: readonly string[] | null,
    decide: (current: ChargerSecurityView, policy: ChargerSecurityPolicy) => WriteResult<SecurityChange>,
    audit: AuditNote,
  ): Promise<WriteResult<ChargerSecurityView>> {
    return withTenant(this.knex, tenantId, async (trx) => {
      if (stations && !(await PgChargerSecurityStore.inStations(trx, tenantId, chargerId, stations))) {
        return failed(userError(UserErrorCodes.NOT_FOUND, 'chargerId', 'charger not found'));
      }
      const before = await readView(trx, tenantId, chargerId, true);
      if (!before) return failed(userError(UserErrorCodes.NOT_FOUND, 'chargerId', 'charger not found'));
      const decided = decide(before, await PgChargerSecurityStore.policyIn(trx, tenantId));
      if (!decided.ok) return decided;
      await writeSecurity(trx, tenantId, chargerId, decided.value);
      const after = (await readView(trx, tenantId, chargerId, false))!;
      const { detail, ...who } = audit;
      await appendAudit(trx, tenantId, { ...who, target: `charger:${chargerId}`, before: auditable(before), after: { ...auditable(after), ...detail } });
      // A new or revoked credential is announced (charger.changed, in this transaction): the bridges
      // forget their cached copy and drop a connection made with the old one (protocol-bridge README).
      if (decided.value.passwordHash !== undefined || decided.value.revokeCredential) await publishChargers(trx, tenantId, [chargerId], 'charger.changed');
      return ok(after);
    });
  }

  private static async policyIn(trx: Knex.Transaction, tenantId: string): Promise<ChargerSecurityPolicy> {
    const row = await trx('charger_security_policies')
      .where({ tenant_id: tenantId })
      .first<{ allow_profile0_commissioning: boolean; learn_ykc_identity_on_first_login: boolean; cidrs: string[] } | undefined>(
        'allow_profile0_commissioning',
        'learn_ykc_identity_on_first_login',
        trx.raw('allowed_source_cidrs::text[] as cidrs'),
      );
    return row
      ? {
          allowProfile0Commissioning: row.allow_profile0_commissioning,
          learnYkcIdentityOnFirstLogin: row.learn_ykc_identity_on_first_login,
          allowedSourceCidrs: row.cidrs,
        }
      : { ...DEFAULT_POLICY };
  }

  policy(tenantId: string): Promise<ChargerSecurityPolicy> {
    return withTenant(this.knex, tenantId, (trx) => PgChargerSecurityStore.policyIn(trx, tenantId));
  }

  setPolicy(tenantId: string, p: ChargerSecurityPolicy, audit: Omit<AuditEntry, 'before' | 'after' | 'target'>): Promise<ChargerSecurityPolicy> {
    return withTenant(this.knex, tenantId, async (trx) => {
      // Serialise policy changes of the tenant so before/after in the log are true.
      await trx.raw('select pg_advisory_xact_lock(?::int, hashtext(?))', [0x41535350, tenantId]);
      const before = await PgChargerSecurityStore.policyIn(trx, tenantId);
      const cols = {
        allow_profile0_commissioning: p.allowProfile0Commissioning,
        learn_ykc_identity_on_first_login: p.learnYkcIdentityOnFirstLogin,
        allowed_source_cidrs: trx.raw('?::cidr[]', [p.allowedSourceCidrs]),
      };
      await trx('charger_security_policies')
        .insert({ tenant_id: tenantId, ...cols })
        .onConflict('tenant_id')
        .merge({ ...cols, updated_at: trx.fn.now() });
      const after = await PgChargerSecurityStore.policyIn(trx, tenantId);
      await appendAudit(trx, tenantId, { ...audit, target: 'charger-security-policy', before: { ...before }, after: { ...after } });
      return after;
    });
  }

  audit(tenantId: string, e: AuditEntry): Promise<void> {
    return withTenant(this.knex, tenantId, (trx) => appendAudit(trx, tenantId, e));
  }

  /** The flat shape of assetAuditLog, read from the platform audit trail (ids and order as there). */
  async auditLog(tenantId: string, first: number, beforeId: string | null): Promise<AuditRecord[]> {
    const rows = await new PgAuditReader(this.knex).entries(tenantId, {}, first, beforeId);
    return rows.map((r) => ({
      id: r.id,
      actor: r.actorId,
      action: r.action,
      target: r.targetType === 'charger-security-policy' ? r.targetType : `${r.targetType}:${r.targetId}`,
      before: r.before,
      after: r.after,
      requestId: r.requestId,
      at: r.occurredAt,
    }));
  }
}
