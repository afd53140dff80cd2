import { Arg, Args, Ctx, Directive, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import {
  AppError,
  connectionOf,
  cursorCodec,
  ErrorCodes,
  ForbiddenError,
  isUuid,
  pageWindow,
  RelayPageArgs,
  requireServiceScope,
  userErrorsOf,
} from '@evcs/platform';
import { z } from 'zod';
import type { TenantsContext } from '../context';
import type { IssuedTokens } from '../domain/auth-service';
import { type Outcome } from '@evcs/platform';
import type { RoleRecord, TenantRecord, UserRecord } from '../domain/ports';
import { IdTagResolver } from './id-tag-resolvers';
import {
  AssumeTenantPayload,
  AuditEvent,
  AuditEventConnection,
  AuditEventFilter,
  AuthPayload,
  CreateRoleInput,
  CreateTenantInput,
  CreateUserInput,
  DataScope,
  LoginInput,
  LogoutPayload,
  Me,
  Role,
  RolePayload,
  Tenant,
  TenantPayload,
  TenantQuotas,
  TenantStatus,
  TenantType,
  UpdateTenantInput,
  User,
  UserConnection,
  UserError,
  UserPayload,
  UserStatus,
} from './types';

// ---- mapping ----------------------------------------------------------------------------

const toQuotas = (t: TenantRecord): TenantQuotas => Object.assign(new TenantQuotas(), { tenantId: t.id, ...t.quotas });
export const toTenant = (t: TenantRecord): Tenant =>
  Object.assign(new Tenant(), {
    id: t.id,
    code: t.code,
    name: t.name,
    type: t.type as TenantType,
    status: t.status as TenantStatus,
    parentId: t.parentId,
    quotas: toQuotas(t),
    createdAt: t.createdAt,
  });
const toUser = (u: UserRecord): User =>
  Object.assign(new User(), {
    id: u.id,
    tenantId: u.tenantId,
    username: u.username,
    displayName: u.displayName,
    status: u.status as UserStatus,
    lockedUntil: u.lockedUntil && u.lockedUntil > new Date() ? u.lockedUntil : null,
    lastLoginAt: u.lastLoginAt,
    createdAt: u.createdAt,
  });
const toRole = (r: RoleRecord): Role =>
  Object.assign(new Role(), {
    id: r.id,
    code: r.code,
    name: r.name,
    description: r.description,
    system: r.tenantId === null,
    dataScope: r.dataScope as DataScope,
    permissions: r.permissions,
  });

function payload<T, P extends { userErrors: UserError[] }>(cls: new () => P, outcome: Outcome<T>, fill: (v: T) => Partial<P>, empty: Partial<P>): P {
  return outcome.ok
    ? Object.assign(new cls(), { ...fill(outcome.value), userErrors: [] })
    : Object.assign(new cls(), { ...empty, userErrors: userErrorsOf(outcome) });
}

const authPayload = (out: Outcome<IssuedTokens>): AuthPayload =>
  payload(
    AuthPayload,
    out,
    (t) => ({ accessToken: t.accessToken, accessTokenExpiresAt: t.accessTokenExpiresAt, refreshToken: t.refreshToken, user: toUser(t.user) }),
    {
      accessToken: null,
      accessTokenExpiresAt: null,
      refreshToken: null,
      user: null,
    },
  );

// ---- cursors: opaque to clients, validated on the way back ---------------------------------

// Users page by (tenant, username); the audit log by its bigint id.
const userCursor = cursorCodec('user', z.object({ t: z.string().refine(isUuid), u: z.string() }));
const auditCursor = cursorCodec('audit', z.object({ id: z.string().regex(/^\d{1,19}$/) }));

function authUser(ctx: TenantsContext): { userId: string; tenantId: string } {
  if (ctx.identity.kind !== 'user' || ctx.identity.actor) throw new ForbiddenError('only a signed-in user can do this');
  return { userId: ctx.identity.subject, tenantId: ctx.tenantId() };
}

// ---- resolvers ------------------------------------------------------------------------------

@Resolver()
export class AuthResolver {
  @Mutation(() => AuthPayload, { description: 'Public. Sign in: a short-lived access token and a single-use refresh token.' })
  async login(@Arg('input') input: LoginInput, @Ctx() ctx: TenantsContext): Promise<AuthPayload> {
    const out = await ctx.services.auth.login(input, ctx.meta);
    return authPayload(out);
  }

  @Mutation(() => AuthPayload, { description: 'Public. Trade a refresh token for new tokens; the old refresh token is spent.' })
  async refreshToken(@Arg('refreshToken') token: string, @Ctx() ctx: TenantsContext): Promise<AuthPayload> {
    const out = await ctx.services.auth.refresh(token, ctx.meta);
    return authPayload(out);
  }

  @Mutation(() => LogoutPayload, { description: 'End the sign-in the refresh token belongs to (every token of it).' })
  async logout(@Arg('refreshToken') token: string, @Ctx() ctx: TenantsContext): Promise<LogoutPayload> {
    const out = await ctx.services.auth.logout(authUser(ctx), token, ctx.meta);
    return payload(LogoutPayload, out, () => ({ ok: true }), { ok: false });
  }

  @Mutation(() => AssumeTenantPayload, {
    description: 'Platform administrators only: a 15-minute access token to act inside a tenant below yours, for a stated reason. Audited in both tenants.',
  })
  async assumeTenant(@Arg('tenantId', () => ID) tenantId: string, @Arg('reason') reason: string, @Ctx() ctx: TenantsContext): Promise<AssumeTenantPayload> {
    const out = await ctx.services.auth.assumeTenant(ctx.identity, { tenantId, reason }, ctx.meta);
    return payload(
      AssumeTenantPayload,
      out,
      (a) => ({ accessToken: a.accessToken, accessTokenExpiresAt: a.accessTokenExpiresAt, tenant: toTenant(a.tenant) }),
      {
        accessToken: null,
        accessTokenExpiresAt: null,
        tenant: null,
      },
    );
  }

  @Query(() => Me)
  async me(@Ctx() ctx: TenantsContext): Promise<Me> {
    const { identity } = ctx;
    if (identity.kind !== 'user') throw new ForbiddenError('me is for users');
    const tenantId = ctx.tenantId();
    const [user] = identity.actor
      ? []
      : await ctx.reads.tenants.usersByIds({ scope: 'SELF', tenantId, tenantIds: [tenantId], stationIds: [], selfSubject: identity.subject }, [
          identity.subject,
        ]);
    return Object.assign(new Me(), {
      user: user ? toUser(user) : null,
      tenantId,
      roles: identity.roles,
      permissions: identity.permissions,
      dataScope: (identity.dataScope as DataScope | undefined) ?? null,
      actor: identity.actor ? { userId: identity.actor.subject, tenantId: identity.actor.tenantId } : null,
    });
  }
}

@Resolver(() => Tenant)
export class TenantResolver {
  @Query(() => Tenant, { nullable: true, description: "The caller's own tenant." })
  async currentTenant(@Ctx() ctx: TenantsContext): Promise<Tenant | null> {
    const row = await ctx.loaders.tenant.load(ctx.tenantId());
    return row ? toTenant(row) : null;
  }

  @Query(() => Tenant, { nullable: true, description: 'A tenant within your data scope (yours or, with TENANT_AND_CHILDREN/ALL, below it).' })
  async tenant(@Arg('id', () => ID) id: string, @Ctx() ctx: TenantsContext): Promise<Tenant | null> {
    if (!isUuid(id)) return null;
    const row = await ctx.loaders.tenant.load(id);
    return row ? toTenant(row) : null;
  }

  @FieldResolver(() => [Tenant], { description: 'Direct children within your data scope.' })
  async children(@Root() t: Tenant, @Ctx() ctx: TenantsContext): Promise<Tenant[]> {
    return (await ctx.loaders.children.load(t.id)).map(toTenant);
  }

  @Directive('@inaccessible')
  @Query(() => TenantQuotas, { nullable: true, description: 'Internal: quotas for the services that create stations and chargers. Service identities only.' })
  async tenantQuotas(@Arg('tenantId', () => ID) tenantId: string, @Ctx() ctx: TenantsContext): Promise<TenantQuotas | null> {
    requireServiceScope(ctx.identity, 'tenant-quota:read', 'tenantQuotas');
    if (!isUuid(tenantId)) throw new AppError(ErrorCodes.BAD_USER_INPUT, 'tenantId is not a UUID');
    const t = await ctx.reads.tenants.ownTenant(tenantId);
    return t ? toQuotas(t) : null;
  }

  @Mutation(() => TenantPayload, { description: 'Create a tenant below yours (tenant:admin), optionally with its first administrator.' })
  async createTenant(@Arg('input') input: CreateTenantInput, @Ctx() ctx: TenantsContext): Promise<TenantPayload> {
    const out = await ctx.services.admin.createTenant(ctx.actor(), { ...input, quotas: input.quotas ?? undefined }, ctx.meta);
    return payload(TenantPayload, out, (t) => ({ tenant: toTenant(t) }), { tenant: null });
  }

  @Mutation(() => TenantPayload, { description: 'Rename your tenant; or, with platform:cross-tenant, change a tenant below yours (status, quotas). Audited.' })
  async updateTenant(@Arg('input') input: UpdateTenantInput, @Ctx() ctx: TenantsContext): Promise<TenantPayload> {
    const out = await ctx.services.admin.updateTenant(ctx.actor(), input, ctx.meta);
    return payload(TenantPayload, out, (t) => ({ tenant: toTenant(t) }), { tenant: null });
  }
}

@Resolver(() => User)
export class UserResolver {
  @Query(() => UserConnection, { description: 'Users within your data scope, by tenant and username; pages of 50, at most 500.' })
  async users(@Ctx() ctx: TenantsContext, @Args(() => RelayPageArgs) page: RelayPageArgs): Promise<UserConnection> {
    const window = pageWindow(page, { codec: userCursor, defaultSize: 50 });
    const { cursor } = window;
    const rows = await ctx.reads.tenants.listUsers(ctx.readScope('user:read'), { ...window, cursor: cursor && { tenantId: cursor.t, username: cursor.u } });
    return connectionOf(rows, window, { key: (u) => ({ t: u.tenantId, u: u.username }), node: toUser });
  }

  @Query(() => User, { nullable: true })
  async user(@Arg('id', () => ID) id: string, @Ctx() ctx: TenantsContext): Promise<User | null> {
    if (!isUuid(id)) return null;
    const [u] = await ctx.reads.tenants.usersByIds(ctx.readScope('user:read'), [id]);
    return u ? toUser(u) : null;
  }

  @FieldResolver(() => [Role])
  async roles(@Root() u: User, @Ctx() ctx: TenantsContext): Promise<Role[]> {
    return (await ctx.loaders.userRoles.load(u.id)).map(toRole);
  }

  @FieldResolver(() => [ID], { description: 'Stations the user is assigned to (for ASSIGNED_STATIONS roles).' })
  async stationIds(@Root() u: User, @Ctx() ctx: TenantsContext): Promise<string[]> {
    return ctx.loaders.userStations.load(u.id);
  }

  @Mutation(() => UserPayload, { description: 'Create a user in your tenant (user:write; roles need role:write). Counts against the user quota.' })
  async createUser(@Arg('input') input: CreateUserInput, @Ctx() ctx: TenantsContext): Promise<UserPayload> {
    const out = await ctx.services.admin.createUser(ctx.actor(), { ...input, roleIds: input.roleIds ?? [], stationIds: input.stationIds ?? [] }, ctx.meta);
    return payload(UserPayload, out, (u) => ({ user: toUser(u) }), { user: null });
  }

  @Mutation(() => UserPayload, { description: "Replace a user's roles (role:write). You can't grant or take away more than you hold." })
  async assignRoles(@Arg('userId', () => ID) userId: string, @Arg('roleIds', () => [ID]) roleIds: string[], @Ctx() ctx: TenantsContext): Promise<UserPayload> {
    const out = await ctx.services.admin.assignRoles(ctx.actor(), { userId, roleIds }, ctx.meta);
    return payload(UserPayload, out, (u) => ({ user: toUser(u) }), { user: null });
  }

  @Mutation(() => UserPayload, {
    description: 'Disable a user (user:write): no more sign-ins or refreshes, and the tokens they hold are revoked; or enable them again. Audited.',
  })
  async setUserStatus(
    @Arg('userId', () => ID) userId: string,
    @Arg('status', () => UserStatus) status: UserStatus,
    @Ctx() ctx: TenantsContext,
  ): Promise<UserPayload> {
    const out = await ctx.services.admin.setUserStatus(ctx.actor(), { userId, status }, ctx.meta);
    return payload(UserPayload, out, (u) => ({ user: toUser(u) }), { user: null });
  }

  @Mutation(() => UserPayload, { description: "Replace a user's assigned stations (user:write)." })
  async assignStations(
    @Arg('userId', () => ID) userId: string,
    @Arg('stationIds', () => [ID]) stationIds: string[],
    @Ctx() ctx: TenantsContext,
  ): Promise<UserPayload> {
    const out = await ctx.services.admin.assignStations(ctx.actor(), { userId, stationIds }, ctx.meta);
    return payload(UserPayload, out, (u) => ({ user: toUser(u) }), { user: null });
  }
}

@Resolver(() => Role)
export class RoleResolver {
  @Query(() => [Role], { description: 'System roles and your tenant’s own roles.' })
  async roles(@Ctx() ctx: TenantsContext): Promise<Role[]> {
    return (await ctx.reads.tenants.roles(ctx.readScope('user:read'))).map(toRole);
  }

  @Mutation(() => RolePayload, { description: 'Create a role of your tenant (role:write), with no more than you hold.' })
  async createRole(@Arg('input') input: CreateRoleInput, @Ctx() ctx: TenantsContext): Promise<RolePayload> {
    const out = await ctx.services.admin.createRole(ctx.actor(), input, ctx.meta);
    return payload(RolePayload, out, (r) => ({ role: toRole(r) }), { role: null });
  }

  @Mutation(() => RolePayload, { description: "Replace a custom role's permissions and optionally its data scope (role:write). Audited." })
  async updateRolePermissions(
    @Arg('roleId', () => ID) roleId: string,
    @Arg('permissions', () => [String]) permissions: string[],
    @Arg('dataScope', () => DataScope, { nullable: true }) dataScope: DataScope | null,
    @Ctx() ctx: TenantsContext,
  ): Promise<RolePayload> {
    const out = await ctx.services.admin.updateRolePermissions(ctx.actor(), { roleId, permissions, dataScope }, ctx.meta);
    return payload(RolePayload, out, (r) => ({ role: toRole(r) }), { role: null });
  }
}

@Resolver(() => AuditEvent)
export class AuditResolver {
  @Query(() => AuditEventConnection, { description: 'The audit log of the tenants in your data scope, newest first; pages of 50, at most 500 (audit:read).' })
  async auditEvents(
    @Ctx() ctx: TenantsContext,
    @Arg('filter', () => AuditEventFilter, { nullable: true }) filter: AuditEventFilter | null,
    @Args(() => RelayPageArgs) page: RelayPageArgs,
  ): Promise<AuditEventConnection> {
    const window = pageWindow(page, { codec: auditCursor, defaultSize: 50 });
    const rows = await ctx.reads.tenants.auditEvents(
      ctx.readScope('audit:read'),
      { types: filter?.types ?? undefined, since: filter?.since ?? undefined, until: filter?.until ?? undefined },
      window,
    );
    return connectionOf(rows, window, { key: (e) => ({ id: String(e.id) }), node: (e) => Object.assign(new AuditEvent(), e) });
  }
}

export const resolvers = [AuthResolver, TenantResolver, UserResolver, RoleResolver, AuditResolver, IdTagResolver] as const;

export const referenceResolvers = {
  Tenant: {
    __resolveReference: async (ref: { id: string }, ctx: TenantsContext) => {
      const row = isUuid(ref.id) ? await ctx.loaders.tenant.load(ref.id) : null;
      return row ? toTenant(row) : null;
    },
  },
};
