import { PageInfoObject as PageInfo, UserErrorObject as UserError } from '@evcs/platform';
import { GraphQLDateTimeISO, GraphQLJSONObject } from 'graphql-scalars';
import { Directive, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum TenantType {
  PLATFORM = 'PLATFORM',
  OPERATOR = 'OPERATOR',
  PARTNER = 'PARTNER',
}
registerEnumType(TenantType, { name: 'TenantType' });

export enum TenantStatus {
  ACTIVE = 'ACTIVE',
  SUSPENDED = 'SUSPENDED',
  CLOSED = 'CLOSED',
}
registerEnumType(TenantStatus, { name: 'TenantStatus' });

export enum UserStatus {
  ACTIVE = 'ACTIVE',
  DISABLED = 'DISABLED',
}
registerEnumType(UserStatus, { name: 'UserStatus' });

export enum DataScope {
  ALL = 'ALL',
  TENANT_AND_CHILDREN = 'TENANT_AND_CHILDREN',
  TENANT = 'TENANT',
  ASSIGNED_STATIONS = 'ASSIGNED_STATIONS',
  SELF = 'SELF',
}
registerEnumType(DataScope, { name: 'DataScope', description: 'How far reads reach. TENANT_AND_CHILDREN and ALL reach downwards only.' });

@ObjectType({ description: 'Limits on what a tenant may create; null means unlimited.' })
export class TenantQuotas {
  @Field(() => ID) tenantId!: string;
  @Field(() => Int, { nullable: true }) maxUsers!: number | null;
  @Field(() => Int, { nullable: true }) maxStations!: number | null;
  @Field(() => Int, { nullable: true }) maxChargers!: number | null;
}

@Directive('@key(fields: "id")')
@ObjectType({ description: 'A tenant: the platform, an operator or a partner, in a hierarchy.' })
export class Tenant {
  @Field(() => ID) id!: string;
  @Field() code!: string;
  @Field() name!: string;
  @Field(() => TenantType) type!: TenantType;
  @Field(() => TenantStatus) status!: TenantStatus;
  @Field(() => ID, { nullable: true, description: 'Null for the platform. The parent itself is visible only to those who can see it.' }) parentId!:
    string | null;
  @Field(() => TenantQuotas) quotas!: TenantQuotas;
  @Field(() => GraphQLDateTimeISO) createdAt!: Date;
}

@ObjectType()
export class Role {
  @Field(() => ID) id!: string;
  @Field() code!: string;
  @Field() name!: string;
  @Field(() => String, { nullable: true }) description!: string | null;
  @Field({ description: 'System roles are the same for every tenant and change only with the platform.' }) system!: boolean;
  @Field(() => DataScope) dataScope!: DataScope;
  @Field(() => [String]) permissions!: string[];
}

@ObjectType()
export class User {
  @Field(() => ID) id!: string;
  @Field(() => ID) tenantId!: string;
  @Field() username!: string;
  @Field(() => String, { nullable: true }) displayName!: string | null;
  @Field(() => UserStatus) status!: UserStatus;
  @Field(() => GraphQLDateTimeISO, { nullable: true, description: 'Set while the account is locked after failed sign-ins.' }) lockedUntil!: Date | null;
  @Field(() => GraphQLDateTimeISO, { nullable: true }) lastLoginAt!: Date | null;
  @Field(() => GraphQLDateTimeISO) createdAt!: Date;
}

@ObjectType({ description: 'Someone acting in this tenant on behalf of another (assumeTenant).' })
export class Actor {
  @Field(() => ID) userId!: string;
  @Field(() => ID) tenantId!: string;
}

@ObjectType({ description: 'Who the caller is, as their access token says.' })
export class Me {
  @Field(() => User, { nullable: true, description: 'Null when acting in an assumed tenant (the user belongs to another).' }) user!: User | null;
  @Field(() => ID) tenantId!: string;
  @Field(() => [String]) roles!: string[];
  @Field(() => [String]) permissions!: string[];
  @Field(() => DataScope, { nullable: true }) dataScope!: DataScope | null;
  @Field(() => Actor, { nullable: true }) actor!: Actor | null;
}

/** Expected failures: the platform's one UserError type. */
export { UserErrorObject as UserError } from '@evcs/platform';

@ObjectType()
export class AuthPayload {
  @Field(() => String, { nullable: true }) accessToken!: string | null;
  @Field(() => GraphQLDateTimeISO, { nullable: true }) accessTokenExpiresAt!: Date | null;
  @Field(() => String, { nullable: true, description: 'Single use: each refresh returns a new one. Reusing one revokes the sign-in.' })
  refreshToken!: string | null;
  @Field(() => User, { nullable: true }) user!: User | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class AssumeTenantPayload {
  @Field(() => String, { nullable: true }) accessToken!: string | null;
  @Field(() => GraphQLDateTimeISO, { nullable: true }) accessTokenExpiresAt!: Date | null;
  @Field(() => Tenant, { nullable: true }) tenant!: Tenant | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class LogoutPayload {
  @Field() ok!: boolean;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class TenantPayload {
  @Field(() => Tenant, { nullable: true }) tenant!: Tenant | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class UserPayload {
  @Field(() => User, { nullable: true }) user!: User | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class RolePayload {
  @Field(() => Role, { nullable: true }) role!: Role | null;
  @Field(() => [UserError]) userErrors!: UserError[];
}

@ObjectType()
export class UserEdge {
  @Field() cursor!: string;
  @Field(() => User) node!: User;
}

@ObjectType()
export class UserConnection {
  @Field(() => [UserEdge]) edges!: UserEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
}

@ObjectType({ description: 'An entry of the append-only audit log. Details never hold secrets.' })
export class AuditEvent {
  @Field(() => ID) id!: string;
  @Field(() => ID) tenantId!: string;
  @Field() type!: string;
  @Field(() => ID, { nullable: true }) actorUserId!: string | null;
  @Field(() => ID, { nullable: true }) actorTenantId!: string | null;
  @Field(() => GraphQLJSONObject) details!: Record<string, unknown>;
  @Field(() => String, { nullable: true, description: "The client's address as the router saw it." }) ip!: string | null;
  @Field(() => String, { nullable: true }) requestId!: string | null;
  @Field(() => GraphQLDateTimeISO) occurredAt!: Date;
}

@ObjectType()
export class AuditEventEdge {
  @Field() cursor!: string;
  @Field(() => AuditEvent) node!: AuditEvent;
}

@ObjectType()
export class AuditEventConnection {
  @Field(() => [AuditEventEdge]) edges!: AuditEventEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
}

// ---- inputs ------------------------------------------------------------------------------

@InputType()
export class LoginInput {
  @Field() tenantCode!: string;
  @Field() username!: string;
  @Field() password!: string;
}

@InputType({ description: 'Omitted fields keep their value; null means unlimited.' })
export class QuotasInput {
  @Field(() => Int, { nullable: true }) maxUsers?: number | null;
  @Field(() => Int, { nullable: true }) maxStations?: number | null;
  @Field(() => Int, { nullable: true }) maxChargers?: number | null;
}

@InputType()
export class NewAdminInput {
  @Field() username!: string;
  @Field() password!: string;
  @Field(() => String, { nullable: true }) displayName?: string | null;
}

@InputType()
export class CreateTenantInput {
  @Field() code!: string;
  @Field() name!: string;
  @Field(() => TenantType) type!: TenantType;
  @Field(() => QuotasInput, { nullable: true }) quotas?: QuotasInput | null;
  @Field(() => NewAdminInput, { nullable: true, description: "The new tenant's first administrator (OPERATOR_ADMIN)." }) admin?: NewAdminInput | null;
}

@InputType()
export class UpdateTenantInput {
  @Field(() => ID) tenantId!: string;
  @Field(() => String, { nullable: true }) name?: string | null;
  @Field(() => TenantStatus, { nullable: true, description: 'Set by an ancestor only.' }) status?: TenantStatus | null;
  @Field(() => QuotasInput, { nullable: true, description: 'Set by an ancestor only.' }) quotas?: QuotasInput | null;
}

@InputType()
export class CreateUserInput {
  @Field() username!: string;
  @Field() password!: string;
  @Field(() => String, { nullable: true }) displayName?: string | null;
  @Field(() => [ID], { nullable: true }) roleIds?: string[] | null;
  @Field(() => [ID], { nullable: true, description: 'Stations (of the assets service) for ASSIGNED_STATIONS roles.' }) stationIds?: string[] | null;
}

@InputType()
export class CreateRoleInput {
  @Field() code!: string;
  @Field() name!: string;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => DataScope) dataScope!: DataScope;
  @Field(() => [String]) permissions!: string[];
}

@InputType()
export class AuditEventFilter {
  @Field(() => [String], { nullable: true }) types?: string[] | null;
  @Field(() => GraphQLDateTimeISO, { nullable: true }) since?: Date | null;
  @Field(() => GraphQLDateTimeISO, { nullable: true }) until?: Date | null;
}
