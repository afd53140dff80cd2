import { Knex, ReadScope, withTenant, withTenantScope } from '@evcs/platform';
import type { RoleRecord, TenantRecord, UserRecord } from '../domain/ports';
import { ROLE_COLUMNS, TENANT_COLUMNS, toRoleRecord, toTenantRecord, toUserRecord, USER_COLUMNS } from './identity-store';

export interface AuditEventRecord {
  id: string;
  tenantId: string;
  actorUserId: string | null;
  actorTenantId: string | null;
  type: string;
  details: Record<string, unknown>;
  ip: string | null;
  requestId: string | null;
  occurredAt: Date;
}

export interface AuditFilter {
  types?: readonly string[];
  since?: Date;
  until?: Date;
  /** page: events with id below this (newest first) */
  beforeId?: string;
  limit: number;
}

export interface UserRoleRow extends RoleRecord {
  userId: string;
}

/**
 * Reads for the GraphQL layer. Every read runs in the scope's transaction
 * (RLS: own tenant plus listed descendants) and filters by the scope's tenants
 * explicitly as well.
 */
export class TenantsReadRepository {
  constructor(private readonly knex: Knex) {}

  private read<T>(scope: ReadScope, fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    return withTenantScope(this.knex, { tenantId: scope.tenantId, tenantIds: scope.tenantIds }, fn);
  }

  async tenantsByIds(scope: ReadScope, ids: readonly string[]): Promise<TenantRecord[]> {
    const rows = await this.read(scope, (trx) => trx('tenants.tenants').select(TENANT_COLUMNS).whereIn('id', ids).whereIn('id', scope.tenantIds));
    return rows.map(toTenantRecord);
  }

  async childrenOf(scope: ReadScope, parentIds: readonly string[]): Promise<TenantRecord[]> {
    const rows = await this.read(scope, (trx) =>
      trx('tenants.tenants').select(TENANT_COLUMNS).whereIn('parent_id', parentIds).whereIn('id', scope.tenantIds).orderBy('code'),
    );
    return rows.map(toTenantRecord);
  }

  async usersByIds(scope: ReadScope, ids: readonly string[]): Promise<UserRecord[]> {
    const rows = await this.read(scope, (trx) => {
      const q = trx('tenants.users').select(USER_COLUMNS).whereIn('id', ids).whereIn('tenant_id', scope.tenantIds);
      return scope.selfSubject ? q.where('id', scope.selfSubject) : q;
    });
    return rows.map(toUserRecord);
  }

  /** Users of the scope's tenants ordered by (tenant, username), keyset-paged. */
  async listUsers(scope: ReadScope, page: { after?: { tenantId: string; username: string }; limit: number }): Promise<UserRecord[]> {
    const rows = await this.read(scope, (trx) => {
      const q = trx('tenants.users')
        .select(USER_COLUMNS)
        .whereIn('tenant_id', scope.tenantIds)
        .orderBy([{ column: 'tenant_id' }, { column: 'username' }])
        .limit(page.limit);
      if (scope.selfSubject) q.where('id', scope.selfSubject);
      if (page.after) q.whereRaw('(tenant_id, username) > (?, ?)', [page.after.tenantId, page.after.username]);
      return q;
    });
    return rows.map(toUserRecord);
  }

  async rolesOfUsers(scope: ReadScope, userIds: readonly string[]): Promise<UserRoleRow[]> {
    const rows = await this.read(scope, (trx) =>
      trx('tenants.roles as r')
        .join('tenants.user_roles as ur', 'ur.role_id', 'r.id')
        .whereIn('ur.user_id', userIds)
        .whereIn('ur.tenant_id', scope.tenantIds)
        .select([...ROLE_COLUMNS.map((c) => `r.${c}`), 'ur.user_id'])
        .orderBy('r.code'),
    );
    return rows.map((r: { user_id: string }) => ({ ...toRoleRecord(r as never), userId: r.user_id }));
  }

  async stationsOfUsers(scope: ReadScope, userIds: readonly string[]): Promise<{ userId: string; stationId: string }[]> {
    const rows = await this.read(scope, (trx) =>
      trx('tenants.user_stations').select('user_id', 'station_id').whereIn('user_id', userIds).whereIn('tenant_id', scope.tenantIds).orderBy('station_id'),
    );
    return rows.map((r: { user_id: string; station_id: string }) => ({ userId: r.user_id, stationId: r.station_id }));
  }

  /** System roles and the scope's own tenant's roles. */
  async roles(scope: ReadScope): Promise<RoleRecord[]> {
    const rows = await this.read(scope, (trx) =>
      trx('tenants.roles').select(ROLE_COLUMNS).whereRaw('(tenant_id is null or tenant_id = ?)', [scope.tenantId]).orderByRaw('tenant_id nulls first, code'),
    );
    return rows.map(toRoleRecord);
  }

  async auditEvents(scope: ReadScope, f: AuditFilter): Promise<AuditEventRecord[]> {
    const rows = await this.read(scope, (trx) => {
      const q = trx('tenants.audit_events').select('*').whereIn('tenant_id', scope.tenantIds).orderBy('id', 'desc').limit(f.limit);
      if (f.types?.length) q.whereIn('type', f.types);
      if (f.since) q.where('occurred_at', '>=', f.since);
      if (f.until) q.where('occurred_at', '<', f.until);
      if (f.beforeId) q.where('id', '<', f.beforeId);
      return q;
    });
    return rows.map(
      (r: {
        id: string | number;
        tenant_id: string;
        actor_user_id: string | null;
        actor_tenant_id: string | null;
        type: string;
        details: Record<string, unknown>;
        ip: string | null;
        request_id: string | null;
        occurred_at: Date;
      }) => ({
        id: String(r.id),
        tenantId: r.tenant_id,
        actorUserId: r.actor_user_id,
        actorTenantId: r.actor_tenant_id,
        type: r.type,
        details: r.details,
        ip: r.ip,
        requestId: r.request_id,
        occurredAt: r.occurred_at,
      }),
    );
  }

  /** A tenant's own row, read as that tenant (for trusted services: quotas). */
  async ownTenant(tenantId: string): Promise<TenantRecord | null> {
    const row = await withTenant(this.knex, tenantId, (trx) => trx('tenants.tenants').select(TENANT_COLUMNS).where({ id: tenantId }).first());
    return row ? toTenantRecord(row) : null;
  }
}
