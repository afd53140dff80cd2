import { Knex, keysetPage, keysetQuery, keysetRows, type KeysetWindow, ReadScope, withTenant, withTenantScope } from '@evcs/platform';
import type { RoleRecord, TenantRecord, UserRecord } from '../domain/ports';
import { ROLE_COLUMNS, TENANT_COLUMNS, USER_COLUMNS } from './identity-store';
import { Role, Tenant, User, UserStation } from './models';

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
}

/** Users page by (tenant, username); audit events newest first by id. */
export type UserPage = KeysetWindow<{ tenantId: string; username: string }>;
export type AuditPage = KeysetWindow<{ id: string }>;

interface AuditRow {
  id: string | number;
  tenant_id: string;
  actor_user_id: string | null;
  actor_tenant_id: string | null;
  type: string;
  details: Record<string, unknown>;
  ip: string | null;
  request_id: string | null;
  occurred_at: Date;
}

export interface UserRoleRow extends RoleRecord {
  userId: string;
}

/**
 * Reads for the GraphQL layer. Every read runs in the scope's transaction
 * (RLS: own tenant plus listed descendants) and filters by the scope's tenants
 * explicitly as well. Through the objection models: no benchmark drives these reads
 * (docs/benchmarks.md measures the assets and orders paths), so they take the model's
 * way, in the scope's transaction all the same.
 */
export class TenantsReadRepository {
  constructor(private readonly knex: Knex) {}

  /** `fn` may return a query builder (knex's or objection's): it runs when awaited, in the transaction. */
  private read<T>(scope: ReadScope, fn: (trx: Knex.Transaction) => PromiseLike<T>): Promise<T> {
    return withTenantScope(this.knex, { tenantId: scope.tenantId, tenantIds: scope.tenantIds }, async (trx) => fn(trx));
  }

  async tenantsByIds(scope: ReadScope, ids: readonly string[]): Promise<TenantRecord[]> {
    const rows = await this.read(scope, (trx) => Tenant.query(trx).select(TENANT_COLUMNS).whereIn('id', ids).whereIn('id', scope.tenantIds));
    return rows.map((t) => t.toRecord());
  }

  async childrenOf(scope: ReadScope, parentIds: readonly string[]): Promise<TenantRecord[]> {
    const rows = await this.read(scope, (trx) =>
      Tenant.query(trx).select(TENANT_COLUMNS).whereIn('parent_id', parentIds).whereIn('id', scope.tenantIds).orderBy('code'),
    );
    return rows.map((t) => t.toRecord());
  }

  async usersByIds(scope: ReadScope, ids: readonly string[]): Promise<UserRecord[]> {
    const rows = await this.read(scope, (trx) => {
      const q = User.query(trx).select(USER_COLUMNS).whereIn('id', ids).whereIn('tenant_id', scope.tenantIds);
      return scope.selfSubject ? q.where('id', scope.selfSubject) : q;
    });
    return rows.map((u) => u.toRecord());
  }

  /** Users of the scope's tenants ordered by (tenant, username), keyset-paged. */
  async listUsers(scope: ReadScope, page: UserPage): Promise<UserRecord[]> {
    const rows = await this.read(scope, (trx) => {
      const q = User.query(trx).select(USER_COLUMNS).whereIn('tenant_id', scope.tenantIds);
      if (scope.selfSubject) q.where('id', scope.selfSubject);
      // objection's builder takes the same calls as knex's (it wraps one)
      keysetQuery(q as unknown as Knex.QueryBuilder, page, {
        columns: ['tenant_id', 'username'],
        types: ['uuid', null],
        order: 'asc',
        values: (k) => [k.tenantId, k.username],
      });
      return q;
    });
    return keysetRows(rows, page).map((u) => u.toRecord());
  }

  async rolesOfUsers(scope: ReadScope, userIds: readonly string[]): Promise<UserRoleRow[]> {
    // The users with their roles (a graph read: users, then their roles through user_roles).
    const users = await this.read(scope, (trx) =>
      User.query(trx)
        .select('users.id')
        .whereIn('users.id', userIds)
        .whereIn('users.tenant_id', scope.tenantIds)
        .withGraphFetched('roles')
        .modifyGraph(
          'roles',
          (q) =>
            void q
              .select(ROLE_COLUMNS.map((c) => `roles.${c}`))
              .whereIn('user_roles.tenant_id', scope.tenantIds)
              .orderBy('roles.code'),
        ),
    );
    return users.flatMap((u) => (u.roles ?? []).map((r) => ({ ...r.toRecord(), userId: u.id })));
  }

  async stationsOfUsers(scope: ReadScope, userIds: readonly string[]): Promise<{ userId: string; stationId: string }[]> {
    const rows = await this.read(scope, (trx) =>
      UserStation.query(trx).select('user_id', 'station_id').whereIn('user_id', userIds).whereIn('tenant_id', scope.tenantIds).orderBy('station_id'),
    );
    return rows.map((r) => ({ userId: r.userId, stationId: r.stationId }));
  }

  /** System roles and the scope's own tenant's roles. */
  async roles(scope: ReadScope): Promise<RoleRecord[]> {
    const rows = await this.read(scope, (trx) =>
      Role.query(trx).select(ROLE_COLUMNS).whereRaw('(tenant_id is null or tenant_id = ?)', [scope.tenantId]).orderByRaw('tenant_id nulls first, code'),
    );
    return rows.map((r) => r.toRecord());
  }

  async auditEvents(scope: ReadScope, f: AuditFilter, page: AuditPage): Promise<AuditEventRecord[]> {
    const rows = await this.read(scope, (trx) => {
      const q = trx('tenants.audit_events').select('*').whereIn('tenant_id', scope.tenantIds);
      if (f.types?.length) q.whereIn('type', f.types);
      if (f.since) q.where('occurred_at', '>=', f.since);
      if (f.until) q.where('occurred_at', '<', f.until);
      return keysetPage<AuditRow, { id: string }>(q, page, { columns: ['id'], types: ['bigint'], order: 'desc', values: (k) => [k.id] });
    });
    return rows.map((r) => ({
      id: String(r.id),
      tenantId: r.tenant_id,
      actorUserId: r.actor_user_id,
      actorTenantId: r.actor_tenant_id,
      type: r.type,
      details: r.details,
      ip: r.ip,
      requestId: r.request_id,
      occurredAt: r.occurred_at,
    }));
  }

  /** A tenant's own row, read as that tenant (for trusted services: quotas). */
  async ownTenant(tenantId: string): Promise<TenantRecord | null> {
    const row = await withTenant(this.knex, tenantId, async (trx) => Tenant.query(trx).select(TENANT_COLUMNS).findById(tenantId));
    return row ? row.toRecord() : null;
  }
}
