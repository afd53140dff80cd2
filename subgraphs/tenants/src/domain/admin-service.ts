import { ForbiddenError, type DataScope, type Permission } from '@evcs/platform';
import { Actor, actorUserId, canGrant, isDataScope, scopeRank } from './access';
import type { RequestMeta } from './audit';
import type { Clock } from './clock';
import { UserErrorCodes } from './error-codes';
import { fail, failAll, ok, type Outcome, type UserError } from '@evcs/platform';
import type { PasswordHasher } from './password';
import type { IdentityStore, RoleRecord, TenantRecord, UserRecord } from './ports';
import { revokeAccess } from './revocation';
import {
  allowedChildTypes,
  checkName,
  checkPassword,
  checkPermissions,
  checkQuotas,
  checkRoleCode,
  checkTenantCode,
  checkUsername,
  checkUuids,
  normalizeRoleCode,
  normalizeTenantCode,
  normalizeUsername,
  Quotas,
  TENANT_STATUSES,
  TENANT_TYPES,
  TenantStatus,
  TenantType,
  USER_STATUSES,
  UserStatus,
} from './rules';

export interface CreateTenantInput {
  code: string;
  name: string;
  type: string;
  quotas?: Partial<Quotas>;
  /** the new tenant's first administrator (OPERATOR_ADMIN of the new tenant) */
  admin?: { username: string; password: string; displayName?: string | null } | null;
}

export interface UpdateTenantInput {
  tenantId: string;
  name?: string | null;
  status?: string | null;
  /** fields left undefined keep their value; null means unlimited */
  quotas?: Partial<Quotas> | null;
}

export interface CreateUserInput {
  username: string;
  password: string;
  displayName?: string | null;
  roleIds?: readonly string[];
  stationIds?: readonly string[];
}

export interface CreateRoleInput {
  code: string;
  name: string;
  description?: string | null;
  dataScope: string;
  permissions: readonly string[];
}

/** The role a new tenant's first administrator gets. */
export const TENANT_ADMIN_ROLE = 'OPERATOR_ADMIN';

const unique = <T>(xs: readonly T[]): T[] => [...new Set(xs)];
const sorted = (xs: readonly string[]): string[] => [...xs].sort();

/** The platform's rule (services too hold only what their tokens grant), for an Actor. */
function permissionOf(actor: Actor, permission: Permission): void {
  if (!actor.permissions.includes(permission)) throw new ForbiddenError(`missing permission ${permission}`);
}

/** `scope` null: the data scope is not being changed, only permissions are checked. */
function grantError(actor: Actor, permissions: readonly string[], scope: DataScope | null, field: string): UserError | null {
  const g = canGrant(actor, permissions, scope);
  if (g.ok) return null;
  const why = [g.missing.length ? `permissions you don't hold: ${g.missing.join(', ')}` : '', g.scopeTooWide ? `data scope ${scope} is wider than yours` : '']
    .filter(Boolean)
    .join('; ');
  return { code: UserErrorCodes.GRANT_NOT_ALLOWED, field, message: `You can't grant that (${why})` };
}

/**
 * Tenant, user and role administration. Every method acts in the actor's own
 * tenant (creating a child tenant is the one step below it) and checks the
 * permission it needs; role and permission changes are audited, and no one
 * can grant more than they hold.
 *
 * A change to what a user's access token says (roles, a role's permissions or
 * data scope, station assignments, the tenant's status) revokes the user's
 * outstanding tokens in the same transaction (see revocation.ts). Locks are
 * taken tenant, then roles, then users, everywhere.
 */
export class AdminService {
  constructor(
    private readonly store: IdentityStore,
    private readonly hasher: PasswordHasher,
    /** the access tokens' clock: revocation cut-offs are compared with their iat */
    private readonly tokenClock: Clock,
  ) {}

  async createTenant(actor: Actor, input: CreateTenantInput, meta: RequestMeta): Promise<Outcome<TenantRecord>> {
    permissionOf(actor, 'tenant:admin');
    const code = normalizeTenantCode(input.code);
    const quotas: Quotas = {
      maxUsers: input.quotas?.maxUsers ?? null,
      maxStations: input.quotas?.maxStations ?? null,
      maxChargers: input.quotas?.maxChargers ?? null,
    };
    const errors = [...checkTenantCode(code), ...checkName(input.name, 'name'), ...checkQuotas(quotas)];
    if (!(TENANT_TYPES as readonly string[]).includes(input.type))
      errors.push({ code: UserErrorCodes.INVALID_INPUT, field: 'type', message: 'Unknown tenant type' });
    const admin = input.admin ? { ...input.admin, username: normalizeUsername(input.admin.username) } : null;
    if (admin) {
      errors.push(...checkUsername(admin.username, 'admin.username'), ...checkPassword(admin.password, 'admin.password'));
      if (quotas.maxUsers === 0)
        errors.push({ code: UserErrorCodes.QUOTA_EXCEEDED, field: 'admin', message: 'A user quota of 0 leaves no room for an administrator' });
    }
    if (errors.length) return failAll(errors);
    const type = input.type as TenantType;
    const passwordHash = admin ? await this.hasher.hash(admin.password) : null;

    return this.store.inTenant(actor.tenantId, meta, async (tx) => {
      const parent = await tx.tenant(actor.tenantId);
      if (!parent) return fail<TenantRecord>(UserErrorCodes.NOT_FOUND, null, 'Your tenant does not exist');
      if (!allowedChildTypes(parent.type).includes(type)) {
        return fail<TenantRecord>(UserErrorCodes.INVALID_TENANT_TYPE, 'type', `A ${parent.type} tenant can't have a ${type} child`);
      }
      let adminRole: RoleRecord | undefined;
      if (admin) {
        [adminRole] = await tx.usableRolesByCode([TENANT_ADMIN_ROLE]);
        if (!adminRole) throw new Error(`system role ${TENANT_ADMIN_ROLE} is missing`);
        // Not subject to "grant no more than you hold": the new tenant's administrator
        // gets the powers of its own tenant (an operator's refunds, say), which the
        // creating platform admin deliberately lacks; tenant:admin is what allows this.
      }
      const child = await tx.insertChildTenant({ code, name: input.name.trim(), type, quotas });
      if (child === 'duplicate') return fail<TenantRecord>(UserErrorCodes.DUPLICATE, 'code', 'A tenant with this code exists');
      const actorUser = actorUserId(actor);
      await tx.audit({
        type: 'TENANT_CREATED',
        actorUserId: actorUser,
        actorTenantId: actor.tenantId,
        details: { tenantId: child.id, code, type, parentId: actor.tenantId, quotas },
      });
      if (admin && adminRole && passwordHash) {
        const role = adminRole;
        const user = await tx.asDescendant(child.id, async (ctx) => {
          const u = await ctx.insertUser({ username: admin.username, displayName: admin.displayName?.trim() || null, passwordHash });
          if (u === 'duplicate') throw new Error('a brand-new tenant already has this user');
          await ctx.setUserRoles(u.id, [role.id]);
          return u;
        });
        // Recorded in the acting tenant: the child's log never names its parent's people.
        await tx.audit({
          type: 'CROSS_TENANT_ACTION',
          actorUserId: actorUser,
          actorTenantId: actor.tenantId,
          details: { action: 'USER_CREATED', targetTenantId: child.id, userId: user.id, username: user.username, roles: [role.code] },
        });
      }
      return ok(child);
    });
  }

  /**
   * Rename, suspend/reactivate, or re-quota a tenant. Quotas and status are set
   * from above: a tenant never raises its own quota or lifts its own suspension.
   * Changing a descendant is a cross-tenant action: it needs
   * `platform:cross-tenant` and is audited in both tenants.
   */
  async updateTenant(actor: Actor, input: UpdateTenantInput, meta: RequestMeta): Promise<Outcome<TenantRecord>> {
    permissionOf(actor, 'tenant:admin');
    const errors = [...checkUuids([input.tenantId], 'tenantId')];
    if (input.name != null) errors.push(...checkName(input.name, 'name'));
    if (input.status != null && !(TENANT_STATUSES as readonly string[]).includes(input.status)) {
      errors.push({ code: UserErrorCodes.INVALID_INPUT, field: 'status', message: 'Unknown tenant status' });
    }
    if (input.quotas) errors.push(...checkQuotas(input.quotas));
    if (errors.length) return failAll(errors);
    const own = input.tenantId === actor.tenantId;
    if (own && (input.status != null || input.quotas)) {
      return fail(UserErrorCodes.NOT_ALLOWED, input.quotas ? 'quotas' : 'status', "A tenant's quotas and status are set by its parent");
    }
    if (!own) permissionOf(actor, 'platform:cross-tenant');
    return this.store.inTenant(actor.tenantId, meta, async (tx) => {
      const before = await tx.tenant(input.tenantId);
      if (!before) return fail<TenantRecord>(UserErrorCodes.NOT_FOUND, 'tenantId', 'Unknown tenant');
      const quotas: Quotas | undefined = input.quotas
        ? {
            maxUsers: input.quotas.maxUsers === undefined ? before.quotas.maxUsers : input.quotas.maxUsers,
            maxStations: input.quotas.maxStations === undefined ? before.quotas.maxStations : input.quotas.maxStations,
            maxChargers: input.quotas.maxChargers === undefined ? before.quotas.maxChargers : input.quotas.maxChargers,
          }
        : undefined;
      const after = await tx.updateTenant(before.id, {
        ...(input.name != null ? { name: input.name.trim() } : {}),
        ...(input.status != null ? { status: input.status as TenantStatus } : {}),
        ...(quotas ? { quotas } : {}),
      });
      if (!after) return fail<TenantRecord>(UserErrorCodes.NOT_FOUND, 'tenantId', 'Unknown tenant');
      const details = {
        tenantId: before.id,
        before: { name: before.name, status: before.status, quotas: before.quotas },
        after: { name: after.name, status: after.status, quotas: after.quotas },
      };
      const by = { actorUserId: actorUserId(actor), actorTenantId: actor.tenantId };
      if (own) {
        await tx.audit({ type: 'TENANT_UPDATED', ...by, details });
      } else {
        await tx.audit({ type: 'CROSS_TENANT_ACTION', ...by, details: { action: 'TENANT_UPDATED', targetTenantId: before.id, ...details } });
        // The tenant acted upon sees it in its own log too.
        await tx.asDescendant(before.id, (child) => child.audit({ type: 'TENANT_UPDATED', ...by, details }));
      }
      // Its users can't sign in or refresh any more; the tokens they hold stop now too.
      if (before.status === 'ACTIVE' && after.status !== 'ACTIVE') {
        await tx.asDescendant(before.id, async (child) => revokeAccess(child, this.tokenClock, await child.userIds(), 'TENANT_SUSPENDED'));
      }
      return ok(after);
    });
  }

  async createUser(actor: Actor, input: CreateUserInput, meta: RequestMeta): Promise<Outcome<UserRecord>> {
    permissionOf(actor, 'user:write');
    const roleIds = unique(input.roleIds ?? []);
    const stationIds = unique((input.stationIds ?? []).map((s) => s.toLowerCase()));
    if (roleIds.length) permissionOf(actor, 'role:write');
    const username = normalizeUsername(input.username);
    const displayName = input.displayName?.trim() || null;
    const errors = [
      ...checkUsername(username),
      ...checkPassword(input.password),
      ...(displayName ? checkName(displayName, 'displayName') : []),
      ...checkUuids(roleIds, 'roleIds', 50),
      ...checkUuids(stationIds, 'stationIds'),
    ];
    if (errors.length) return failAll(errors);
    // Hash before the transaction: no row locks held while scrypt runs.
    const passwordHash = await this.hasher.hash(input.password);

    return this.store.inTenant(actor.tenantId, meta, async (tx) => {
      const roles = await tx.usableRoles(roleIds);
      if (roles.length !== roleIds.length) return fail<UserRecord>(UserErrorCodes.NOT_FOUND, 'roleIds', 'Unknown role');
      for (const r of roles) {
        const denied = grantError(actor, r.permissions, r.dataScope, 'roleIds');
        if (denied) return failAll<UserRecord>([denied]);
      }
      // The tenant row stays locked until commit, so concurrent creations count one after another.
      const quotas = await tx.lockTenantQuotas();
      if (!quotas) return fail<UserRecord>(UserErrorCodes.NOT_FOUND, null, 'Your tenant does not exist');
      if (quotas.maxUsers !== null) {
        const current = await tx.countUsers();
        if (current >= quotas.maxUsers) {
          await tx.audit({
            type: 'QUOTA_REFUSED',
            actorUserId: actorUserId(actor),
            actorTenantId: actor.tenantId,
            details: { resource: 'users', limit: quotas.maxUsers, current, username },
          });
          return fail<UserRecord>(UserErrorCodes.QUOTA_EXCEEDED, null, `The tenant's user quota (${quotas.maxUsers}) is used up`);
        }
      }
      const user = await tx.insertUser({ username, displayName, passwordHash });
      if (user === 'duplicate') return fail<UserRecord>(UserErrorCodes.DUPLICATE, 'username', 'A user with this username exists');
      if (roles.length)
        await tx.setUserRoles(
          user.id,
          roles.map((r) => r.id),
        );
      if (stationIds.length) await tx.setUserStations(user.id, stationIds);
      const by = { actorUserId: actorUserId(actor), actorTenantId: actor.tenantId };
      await tx.audit({ type: 'USER_CREATED', ...by, details: { userId: user.id, username } });
      if (roles.length) await tx.audit({ type: 'ROLES_ASSIGNED', ...by, details: { userId: user.id, before: [], after: sorted(roles.map((r) => r.code)) } });
      if (stationIds.length) await tx.audit({ type: 'STATIONS_ASSIGNED', ...by, details: { userId: user.id, added: sorted(stationIds), removed: [] } });
      return ok(user);
    });
  }

  /** Replace a user's roles. Both the roles added and those removed must be within the actor's own power. */
  async assignRoles(actor: Actor, input: { userId: string; roleIds: readonly string[] }, meta: RequestMeta): Promise<Outcome<UserRecord>> {
    permissionOf(actor, 'role:write');
    const roleIds = unique(input.roleIds);
    const errors = [...checkUuids([input.userId], 'userId'), ...checkUuids(roleIds, 'roleIds', 50)];
    if (errors.length) return failAll(errors);
    return this.store.inTenant(actor.tenantId, meta, async (tx) => {
      // A concurrent change to one of these roles' permissions either commits first (and is
      // read below) or waits, and then finds this user among the role's holders.
      await tx.lockOwnRoles(roleIds, 'share');
      const user = await tx.user(input.userId);
      if (!user || user.tenantId !== actor.tenantId) return fail<UserRecord>(UserErrorCodes.NOT_FOUND, 'userId', 'Unknown user');
      const roles = await tx.usableRoles(roleIds);
      if (roles.length !== roleIds.length) return fail<UserRecord>(UserErrorCodes.NOT_FOUND, 'roleIds', 'Unknown role');
      const before = await tx.userRoles(user.id);
      const beforeIds = new Set(before.map((r) => r.id));
      const afterIds = new Set(roles.map((r) => r.id));
      const changed = [...roles.filter((r) => !beforeIds.has(r.id)), ...before.filter((r) => !afterIds.has(r.id))];
      for (const r of changed) {
        const denied = grantError(actor, r.permissions, r.dataScope, 'roleIds');
        if (denied) return failAll<UserRecord>([denied]);
      }
      if (changed.length === 0) return ok(user);
      await tx.setUserRoles(user.id, [...afterIds]);
      await tx.audit({
        type: 'ROLES_ASSIGNED',
        actorUserId: actorUserId(actor),
        actorTenantId: actor.tenantId,
        details: { userId: user.id, before: sorted(before.map((r) => r.code)), after: sorted(roles.map((r) => r.code)) },
      });
      await revokeAccess(tx, this.tokenClock, [user.id], 'ROLES_CHANGED');
      return ok(user);
    });
  }

  /**
   * Replace the stations a user is assigned to. The ids name stations of the
   * assets subgraph; they are not checked against it here.
   */
  async assignStations(actor: Actor, input: { userId: string; stationIds: readonly string[] }, meta: RequestMeta): Promise<Outcome<UserRecord>> {
    permissionOf(actor, 'user:write');
    const stationIds = unique(input.stationIds.map((s) => s.toLowerCase()));
    const errors = [...checkUuids([input.userId], 'userId'), ...checkUuids(stationIds, 'stationIds')];
    if (errors.length) return failAll(errors);
    return this.store.inTenant(actor.tenantId, meta, async (tx) => {
      const user = await tx.user(input.userId);
      if (!user || user.tenantId !== actor.tenantId) return fail<UserRecord>(UserErrorCodes.NOT_FOUND, 'userId', 'Unknown user');
      const before = await tx.userStationIds(user.id);
      const added = stationIds.filter((s) => !before.includes(s));
      const removed = before.filter((s) => !stationIds.includes(s));
      if (!added.length && !removed.length) return ok(user);
      await tx.setUserStations(user.id, stationIds);
      await tx.audit({
        type: 'STATIONS_ASSIGNED',
        actorUserId: actorUserId(actor),
        actorTenantId: actor.tenantId,
        details: { userId: user.id, added: sorted(added), removed: sorted(removed) },
      });
      // The token lists the stations a station manager may read.
      await revokeAccess(tx, this.tokenClock, [user.id], 'STATIONS_CHANGED');
      return ok(user);
    });
  }

  /**
   * Disable a user (they can no longer sign in or refresh, and the access tokens
   * they hold are revoked) or enable them again. Nobody disables themselves: a
   * tenant's last administrator could otherwise lock everyone out.
   */
  async setUserStatus(actor: Actor, input: { userId: string; status: string }, meta: RequestMeta): Promise<Outcome<UserRecord>> {
    permissionOf(actor, 'user:write');
    const errors = [...checkUuids([input.userId], 'userId')];
    if (!(USER_STATUSES as readonly string[]).includes(input.status))
      errors.push({ code: UserErrorCodes.INVALID_INPUT, field: 'status', message: 'Unknown user status' });
    if (errors.length) return failAll(errors);
    const status = input.status as UserStatus;
    if (status === 'DISABLED' && input.userId === actorUserId(actor)) return fail(UserErrorCodes.NOT_ALLOWED, 'userId', "You can't disable yourself");
    return this.store.inTenant(actor.tenantId, meta, async (tx) => {
      const before = await tx.user(input.userId);
      if (!before || before.tenantId !== actor.tenantId) return fail<UserRecord>(UserErrorCodes.NOT_FOUND, 'userId', 'Unknown user');
      if (before.status === status) return ok(before);
      const after = await tx.setUserStatus(before.id, status);
      if (!after) return fail<UserRecord>(UserErrorCodes.NOT_FOUND, 'userId', 'Unknown user');
      await tx.audit({
        type: status === 'DISABLED' ? 'USER_DISABLED' : 'USER_ENABLED',
        actorUserId: actorUserId(actor),
        actorTenantId: actor.tenantId,
        details: { userId: after.id, username: after.username },
      });
      // Sign-in and refresh already refuse a disabled user; the tokens they hold stop now too.
      if (status === 'DISABLED') await revokeAccess(tx, this.tokenClock, [after.id], 'USER_DISABLED');
      return ok(after);
    });
  }

  async createRole(actor: Actor, input: CreateRoleInput, meta: RequestMeta): Promise<Outcome<RoleRecord>> {
    permissionOf(actor, 'role:write');
    const code = normalizeRoleCode(input.code);
    const permissions = sorted(unique(input.permissions));
    const errors = [...checkRoleCode(code), ...checkName(input.name, 'name'), ...checkPermissions(permissions)];
    if (input.description && input.description.length > 1000)
      errors.push({ code: UserErrorCodes.INVALID_INPUT, field: 'description', message: 'At most 1000 characters' });
    if (!isDataScope(input.dataScope)) errors.push({ code: UserErrorCodes.INVALID_INPUT, field: 'dataScope', message: 'Unknown data scope' });
    if (errors.length) return failAll(errors);
    const dataScope = input.dataScope as DataScope;
    const denied = grantError(actor, permissions, dataScope, 'permissions');
    if (denied) return failAll([denied]);
    return this.store.inTenant(actor.tenantId, meta, async (tx) => {
      // Custom roles can't shadow a system role's code.
      const clash = await tx.usableRolesByCode([code]);
      if (clash.length) return fail<RoleRecord>(UserErrorCodes.DUPLICATE, 'code', 'A role with this code exists');
      const role = await tx.insertRole({ code, name: input.name.trim(), description: input.description?.trim() || null, dataScope, permissions });
      if (role === 'duplicate') return fail<RoleRecord>(UserErrorCodes.DUPLICATE, 'code', 'A role with this code exists');
      await tx.audit({
        type: 'ROLE_CREATED',
        actorUserId: actorUserId(actor),
        actorTenantId: actor.tenantId,
        details: { roleId: role.id, code, dataScope, permissions },
      });
      return ok(role);
    });
  }

  /** Replace a custom role's permissions (and optionally its data scope). System roles change only by migration. */
  async updateRolePermissions(
    actor: Actor,
    input: { roleId: string; permissions: readonly string[]; dataScope?: string | null },
    meta: RequestMeta,
  ): Promise<Outcome<RoleRecord>> {
    permissionOf(actor, 'role:write');
    const permissions = sorted(unique(input.permissions));
    const errors = [...checkUuids([input.roleId], 'roleId'), ...checkPermissions(permissions)];
    if (input.dataScope != null && !isDataScope(input.dataScope))
      errors.push({ code: UserErrorCodes.INVALID_INPUT, field: 'dataScope', message: 'Unknown data scope' });
    if (errors.length) return failAll(errors);
    return this.store.inTenant(actor.tenantId, meta, async (tx) => {
      // Locked before its holders are read: an assignment of it either committed (and is
      // among them) or waits, and then reads the new permissions.
      await tx.lockOwnRoles([input.roleId], 'update');
      const role = await tx.role(input.roleId);
      if (!role || (role.tenantId !== null && role.tenantId !== actor.tenantId)) return fail<RoleRecord>(UserErrorCodes.NOT_FOUND, 'roleId', 'Unknown role');
      if (role.tenantId === null) return fail<RoleRecord>(UserErrorCodes.SYSTEM_ROLE_IMMUTABLE, 'roleId', "System roles can't be changed");
      const dataScope = (input.dataScope ?? role.dataScope) as DataScope;
      // Both what is added and what is taken away must be within the actor's power.
      const added = permissions.filter((p) => !role.permissions.includes(p));
      const removed = role.permissions.filter((p) => !permissions.includes(p));
      const widest = scopeRank(dataScope) >= scopeRank(role.dataScope) ? dataScope : role.dataScope;
      const denied = grantError(actor, [...added, ...removed], dataScope === role.dataScope ? null : widest, 'permissions');
      if (denied) return failAll<RoleRecord>([denied]);
      if (!added.length && !removed.length && dataScope === role.dataScope) return ok(role);
      const updated = await tx.updateRole(role.id, { permissions, dataScope });
      if (!updated) return fail<RoleRecord>(UserErrorCodes.NOT_FOUND, 'roleId', 'Unknown role');
      await tx.audit({
        type: 'ROLE_PERMISSIONS_CHANGED',
        actorUserId: actorUserId(actor),
        actorTenantId: actor.tenantId,
        details: { roleId: role.id, code: role.code, added, removed, dataScopeBefore: role.dataScope, dataScopeAfter: dataScope },
      });
      await revokeAccess(tx, this.tokenClock, await tx.usersWithRole(role.id), 'ROLE_CHANGED');
      return ok(updated);
    });
  }
}
