import { AccessEvents, type AccessEvent } from '@evcs/events';
import { Knex, OutboxWriter, TENANT_SETTING, withTenant } from '@evcs/platform';
import type { DataScope } from '@evcs/platform';
import type { AuditEventInput, RequestMeta } from '../domain/audit';
import type {
  IdentityStore,
  LoginTarget,
  NewRole,
  NewTenant,
  NewUser,
  RefreshTokenRecord,
  RoleRecord,
  TenantRecord,
  TenantTx,
  UserCredentials,
  UserRecord,
} from '../domain/ports';
import type { Quotas, TenantStatus, TenantType, UserStatus } from '../domain/rules';
import { fn, raw } from 'objection';
import { Role, Tenant, User, UserRole, UserStation } from './models';

/** Access and id-tag events leave through the platform outbox, in the change's transaction. */
export const tenantsOutbox = new OutboxWriter('tenants');

interface TenantRow {
  id: string;
  parent_id: string | null;
  code: string;
  name: string;
  type: string;
  status: string;
  max_users: number | null;
  max_stations: number | null;
  max_chargers: number | null;
  created_at: Date;
}
interface UserRow {
  id: string;
  tenant_id: string;
  username: string;
  display_name: string | null;
  status: string;
  locked_until: Date | null;
  last_login_at: Date | null;
  created_at: Date;
}
interface RoleRow {
  id: string;
  tenant_id: string | null;
  code: string;
  name: string;
  description: string | null;
  data_scope: string;
  permissions: string[];
}
interface RefreshRow {
  id: string;
  user_id: string;
  family_id: string;
  parent_id: string | null;
  token_hash: Buffer;
  issued_at: Date;
  expires_at: Date;
  session_expires_at: Date;
  used_at: Date | null;
  revoked_at: Date | null;
}

export const TENANT_COLUMNS = ['id', 'parent_id', 'code', 'name', 'type', 'status', 'max_users', 'max_stations', 'max_chargers', 'created_at'];
export const USER_COLUMNS = ['id', 'tenant_id', 'username', 'display_name', 'status', 'locked_until', 'last_login_at', 'created_at'];
export const ROLE_COLUMNS = ['id', 'tenant_id', 'code', 'name', 'description', 'data_scope', 'permissions'];

export const toTenantRecord = (r: TenantRow): TenantRecord => ({
  id: r.id,
  parentId: r.parent_id,
  code: r.code,
  name: r.name,
  type: r.type as TenantType,
  status: r.status as TenantStatus,
  quotas: { maxUsers: r.max_users, maxStations: r.max_stations, maxChargers: r.max_chargers },
  createdAt: r.created_at,
});
export const toUserRecord = (r: UserRow): UserRecord => ({
  id: r.id,
  tenantId: r.tenant_id,
  username: r.username,
  displayName: r.display_name,
  status: r.status as UserStatus,
  lockedUntil: r.locked_until,
  lastLoginAt: r.last_login_at,
  createdAt: r.created_at,
});
export const toRoleRecord = (r: RoleRow): RoleRecord => ({
  id: r.id,
  tenantId: r.tenant_id,
  code: r.code,
  name: r.name,
  description: r.description,
  dataScope: r.data_scope as DataScope,
  permissions: r.permissions,
});
const toRefresh = (r: RefreshRow): RefreshTokenRecord => ({
  id: r.id,
  userId: r.user_id,
  familyId: r.family_id,
  parentId: r.parent_id,
  tokenHash: r.token_hash,
  issuedAt: r.issued_at,
  expiresAt: r.expires_at,
  sessionExpiresAt: r.session_expires_at,
  usedAt: r.used_at,
  revokedAt: r.revoked_at,
});

/** objection wraps the driver's error and keeps it as `nativeError`; knex passes pg's on as it is. */
export const isUniqueViolation = (e: unknown): boolean => (((e as { nativeError?: unknown }).nativeError ?? e) as { code?: string }).code === '23505';

/** Append to the tenant's audit log, in the caller's transaction (with the request's ip and id). */
export async function appendAudit(trx: Knex.Transaction, tenantId: string, meta: RequestMeta, e: AuditEventInput): Promise<void> {
  await trx('tenants.audit_events').insert({
    tenant_id: tenantId,
    actor_user_id: e.actorUserId ?? null,
    actor_tenant_id: e.actorTenantId ?? null,
    type: e.type,
    details: JSON.stringify(e.details ?? {}),
    ip: meta.ip ?? null,
    request_id: meta.requestId ?? null,
  });
}

/**
 * The identity store on Postgres. Every transaction sets the row-level-security
 * tenant first (withTenant) and every query names the tenant as well: the data
 * layer and the database each enforce isolation on their own.
 */
export class PgIdentityStore implements IdentityStore {
  constructor(private readonly knex: Knex) {}

  async resolveLogin(tenantCode: string, username: string): Promise<LoginTarget | null> {
    const { rows } = await this.knex.raw<{ rows: { tenant_id: string; tenant_status: string; user_id: string | null }[] }>(
      'select tenant_id, tenant_status, user_id from tenants.resolve_login(?, ?)',
      [tenantCode, username],
    );
    const r = rows[0];
    return r ? { tenantId: r.tenant_id, tenantStatus: r.tenant_status as TenantStatus, userId: r.user_id } : null;
  }

  inTenant<T>(tenantId: string, meta: RequestMeta, fn: (tx: TenantTx) => Promise<T>): Promise<T> {
    return withTenant(this.knex, tenantId, (trx) => fn(new PgTenantTx(trx, tenantId, meta)));
  }
}

class PgTenantTx implements TenantTx {
  constructor(
    private readonly trx: Knex.Transaction,
    readonly tenantId: string,
    private readonly meta: RequestMeta,
  ) {}

  audit(e: AuditEventInput): Promise<void> {
    return appendAudit(this.trx, this.tenantId, this.meta, e);
  }

  async tenant(id: string): Promise<TenantRecord | null> {
    // RLS shows this tenant and its descendants; the explicit filter says the same.
    const row = await this.trx('tenants.tenants')
      .select(TENANT_COLUMNS)
      .where({ id })
      .whereRaw('(id = ? or ancestor_ids @> array[?]::uuid[])', [this.tenantId, this.tenantId])
      .first();
    return row ? toTenantRecord(row) : null;
  }

  async lockTenantQuotas(): Promise<Quotas | null> {
    const row = await this.trx('tenants.tenants').select(TENANT_COLUMNS).where({ id: this.tenantId }).forNoKeyUpdate().first();
    return row ? toTenantRecord(row).quotas : null;
  }

  async insertChildTenant(t: NewTenant): Promise<TenantRecord | 'duplicate'> {
    try {
      const row = await Tenant.query(this.trx)
        .insert({
          parentId: this.tenantId,
          code: t.code,
          name: t.name,
          type: t.type,
          maxUsers: t.quotas.maxUsers,
          maxStations: t.quotas.maxStations,
          maxChargers: t.quotas.maxChargers,
        })
        .returning(TENANT_COLUMNS);
      return row.toRecord();
    } catch (e) {
      if (isUniqueViolation(e)) return 'duplicate';
      throw e;
    }
  }

  async updateTenant(id: string, change: { name?: string; status?: TenantStatus; quotas?: Quotas }): Promise<TenantRecord | null> {
    const [row] = await Tenant.query(this.trx)
      .patch({
        updatedAt: fn.now(),
        ...(change.name !== undefined ? { name: change.name } : {}),
        ...(change.status !== undefined ? { status: change.status } : {}),
        ...(change.quotas ? { maxUsers: change.quotas.maxUsers, maxStations: change.quotas.maxStations, maxChargers: change.quotas.maxChargers } : {}),
      })
      .where({ id })
      .whereRaw('(id = ? or ancestor_ids @> array[?]::uuid[])', [this.tenantId, this.tenantId])
      .returning(TENANT_COLUMNS);
    return row ? row.toRecord() : null;
  }

  async descendantIds(): Promise<string[]> {
    const rows = await this.trx('tenants.tenants').select('id').whereRaw('ancestor_ids @> array[?]::uuid[]', [this.tenantId]).orderBy('id');
    return rows.map((r: { id: string }) => r.id);
  }

  async asDescendant<T>(tenantId: string, fn: (tx: TenantTx) => Promise<T>): Promise<T> {
    const child = await this.trx('tenants.tenants').select('id').where({ id: tenantId }).whereRaw('ancestor_ids @> array[?]::uuid[]', [this.tenantId]).first();
    if (!child) throw new Error(`tenant ${tenantId} is not a descendant of ${this.tenantId}`);
    await this.trx.raw('select set_config(?, ?, true)', [TENANT_SETTING, tenantId]);
    try {
      return await fn(new PgTenantTx(this.trx, tenantId, this.meta));
    } finally {
      await this.trx.raw('select set_config(?, ?, true)', [TENANT_SETTING, this.tenantId]);
    }
  }

  async user(id: string): Promise<UserRecord | null> {
    const row = await this.trx('tenants.users').select(USER_COLUMNS).where({ tenant_id: this.tenantId, id }).first();
    return row ? toUserRecord(row) : null;
  }

  async userForTokens(id: string): Promise<{ user: UserRecord; accessNotBefore: number | null } | null> {
    const row = await this.trx('tenants.users')
      .select([...USER_COLUMNS, 'access_not_before'])
      .where({ tenant_id: this.tenantId, id })
      .forShare()
      .first();
    if (!row) return null;
    const nb = row.access_not_before as Date | null;
    return { user: toUserRecord(row), accessNotBefore: nb ? Math.floor(nb.getTime() / 1000) : null };
  }

  async userIds(): Promise<string[]> {
    const rows = await this.trx('tenants.users').select('id').where({ tenant_id: this.tenantId }).orderBy('id');
    return rows.map((r: { id: string }) => r.id);
  }

  async countUsers(): Promise<number> {
    const [{ n }] = await this.trx('tenants.users').where({ tenant_id: this.tenantId }).count<{ n: string }[]>({ n: '*' });
    return Number(n);
  }

  async insertUser(u: NewUser): Promise<UserRecord | 'duplicate'> {
    try {
      const row = await User.query(this.trx)
        .insert({ tenantId: this.tenantId, username: u.username, displayName: u.displayName, passwordHash: u.passwordHash })
        .returning(USER_COLUMNS);
      return row.toRecord();
    } catch (e) {
      if (isUniqueViolation(e)) return 'duplicate';
      throw e;
    }
  }

  async lockCredentials(userId: string): Promise<UserCredentials | null> {
    const row = await this.trx('tenants.users')
      .select('id', 'username', 'password_hash', 'status', 'failed_login_count', 'locked_until')
      .where({ tenant_id: this.tenantId, id: userId })
      .forNoKeyUpdate()
      .first();
    return row
      ? {
          id: row.id,
          username: row.username,
          passwordHash: row.password_hash,
          status: row.status as UserStatus,
          failedLoginCount: row.failed_login_count,
          lockedUntil: row.locked_until,
        }
      : null;
  }

  async recordLoginFailure(userId: string, failedCount: number, lockedUntil: Date | null): Promise<void> {
    await User.query(this.trx).patch({ failedLoginCount: failedCount, lockedUntil, updatedAt: fn.now() }).where({ tenant_id: this.tenantId, id: userId });
  }

  async setUserStatus(userId: string, status: UserStatus): Promise<UserRecord | null> {
    const [row] = await this.trx('tenants.users')
      .update({ status, updated_at: this.trx.fn.now() })
      .where({ tenant_id: this.tenantId, id: userId })
      .returning(USER_COLUMNS);
    return row ? toUserRecord(row) : null;
  }

  async recordLoginSuccess(userId: string, at: Date, newPasswordHash: string | null): Promise<void> {
    await User.query(this.trx)
      .patch({ failedLoginCount: 0, lockedUntil: null, lastLoginAt: at, updatedAt: fn.now(), ...(newPasswordHash ? { passwordHash: newPasswordHash } : {}) })
      .where({ tenant_id: this.tenantId, id: userId });
  }

  /** System roles (tenant_id null) and this tenant's own. */
  private usable(): Knex.QueryBuilder {
    return this.trx('tenants.roles').select(ROLE_COLUMNS).whereRaw('(tenant_id is null or tenant_id = ?)', [this.tenantId]);
  }

  async usableRoles(ids: readonly string[]): Promise<RoleRecord[]> {
    if (!ids.length) return [];
    return (await this.usable().whereIn('id', ids)).map(toRoleRecord);
  }

  async usableRolesByCode(codes: readonly string[]): Promise<RoleRecord[]> {
    if (!codes.length) return [];
    return (await this.usable().whereIn('code', codes)).map(toRoleRecord);
  }

  async role(id: string): Promise<RoleRecord | null> {
    const row = await this.trx('tenants.roles').select(ROLE_COLUMNS).where({ id }).first();
    return row ? toRoleRecord(row) : null;
  }

  async lockOwnRoles(ids: readonly string[], mode: 'share' | 'update'): Promise<void> {
    if (!ids.length) return;
    // System roles (tenant_id null) change only by migration and aren't lockable under RLS anyway.
    const q = this.trx('tenants.roles').select('id').where({ tenant_id: this.tenantId }).whereIn('id', ids).orderBy('id');
    await (mode === 'update' ? q.forUpdate() : q.forShare());
  }

  async usersWithRole(roleId: string): Promise<string[]> {
    const rows = await this.trx('tenants.user_roles').select('user_id').where({ tenant_id: this.tenantId, role_id: roleId }).orderBy('user_id');
    return rows.map((r: { user_id: string }) => r.user_id);
  }

  async insertRole(r: NewRole): Promise<RoleRecord | 'duplicate'> {
    try {
      const row = await Role.query(this.trx)
        .insert({
          tenantId: this.tenantId,
          code: r.code,
          name: r.name,
          description: r.description,
          dataScope: r.dataScope,
          permissions: raw('?::text[]', [r.permissions]),
        })
        .returning(ROLE_COLUMNS);
      return row.toRecord();
    } catch (e) {
      if (isUniqueViolation(e)) return 'duplicate';
      throw e;
    }
  }

  async updateRole(id: string, change: { permissions: string[]; dataScope: DataScope }): Promise<RoleRecord | null> {
    const [row] = await Role.query(this.trx)
      .patch({ permissions: raw('?::text[]', [change.permissions]), dataScope: change.dataScope, updatedAt: fn.now() })
      .where({ tenant_id: this.tenantId, id })
      .returning(ROLE_COLUMNS);
    return row ? row.toRecord() : null;
  }

  async userRoles(userId: string): Promise<RoleRecord[]> {
    const rows = await User.relatedQuery('roles', this.trx)
      .for(userId)
      .where('user_roles.tenant_id', this.tenantId)
      .select(ROLE_COLUMNS.map((c) => `roles.${c}`))
      .orderBy('roles.code');
    return rows.map((r) => r.toRecord());
  }

  async setUserRoles(userId: string, roleIds: readonly string[]): Promise<void> {
    await UserRole.query(this.trx).delete().where({ tenant_id: this.tenantId, user_id: userId }).whereNotIn('role_id', roleIds);
    if (roleIds.length) {
      await UserRole.query(this.trx)
        .insert(roleIds.map((roleId) => ({ tenantId: this.tenantId, userId, roleId })))
        .onConflict(['user_id', 'role_id'])
        .ignore();
    }
  }

  async userStationIds(userId: string): Promise<string[]> {
    const rows = await this.trx('tenants.user_stations').select('station_id').where({ tenant_id: this.tenantId, user_id: userId }).orderBy('station_id');
    return rows.map((r: { station_id: string }) => r.station_id);
  }

  async setUserStations(userId: string, stationIds: readonly string[]): Promise<void> {
    await UserStation.query(this.trx).delete().where({ tenant_id: this.tenantId, user_id: userId }).whereNotIn('station_id', stationIds);
    if (stationIds.length) {
      await UserStation.query(this.trx)
        .insert(stationIds.map((stationId) => ({ tenantId: this.tenantId, userId, stationId })))
        .onConflict(['user_id', 'station_id'])
        .ignore();
    }
  }

  async insertRefreshToken(t: Omit<RefreshTokenRecord, 'usedAt' | 'revokedAt'>): Promise<void> {
    await this.trx('tenants.refresh_tokens').insert({
      id: t.id,
      tenant_id: this.tenantId,
      user_id: t.userId,
      family_id: t.familyId,
      parent_id: t.parentId,
      token_hash: t.tokenHash,
      issued_at: t.issuedAt,
      expires_at: t.expiresAt,
      session_expires_at: t.sessionExpiresAt,
    });
  }

  async lockRefreshToken(id: string): Promise<RefreshTokenRecord | null> {
    const row = await this.trx('tenants.refresh_tokens').where({ tenant_id: this.tenantId, id }).forUpdate().first();
    return row ? toRefresh(row) : null;
  }

  async markRefreshTokenUsed(id: string, at: Date): Promise<void> {
    await this.trx('tenants.refresh_tokens').update({ used_at: at }).where({ tenant_id: this.tenantId, id }).whereNull('used_at');
  }

  async revokeFamily(familyId: string, at: Date, reason: string): Promise<number> {
    return this.trx('tenants.refresh_tokens')
      .update({ revoked_at: at, revoked_reason: reason })
      .where({ tenant_id: this.tenantId, family_id: familyId })
      .whereNull('revoked_at');
  }

  async lockUsers(userIds: readonly string[]): Promise<string[]> {
    if (!userIds.length) return [];
    // In id order: two revocations over overlapping sets of users can't deadlock.
    const rows = await this.trx('tenants.users').select('id').where({ tenant_id: this.tenantId }).whereIn('id', userIds).orderBy('id').forNoKeyUpdate();
    return rows.map((r: { id: string }) => r.id);
  }

  async raiseAccessCutoff(userIds: readonly string[], cutoff: number): Promise<{ userId: string; issuedBefore: number }[]> {
    if (!userIds.length) return [];
    // greatest() skips a null (no earlier cut-off).
    const { rows } = await this.trx.raw<{ rows: { id: string; nb: string }[] }>(
      `update tenants.users
          set access_not_before = greatest(to_timestamp(?), access_not_before + interval '1 second'), updated_at = now()
        where tenant_id = ? and id = any(?::uuid[])
        returning id, extract(epoch from access_not_before)::bigint as nb`,
      [cutoff, this.tenantId, [...userIds]],
    );
    return rows.map((r) => ({ userId: r.id, issuedBefore: Number(r.nb) })).sort((a, b) => a.userId.localeCompare(b.userId));
  }

  async queueAccessEvents(events: readonly AccessEvent[]): Promise<void> {
    await tenantsOutbox.enqueueAll(this.trx, AccessEvents, events);
  }
}
