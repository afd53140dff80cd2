import type { KeysetWindow } from '@evcs/platform';
import type { AccessEvent, IdTagChanged } from '@evcs/events';
import type { DataScope, Identity, ReadScope } from '@evcs/platform';
import type { AuditEventInput, RequestMeta } from './audit';
import type { Clock } from './clock';
import type { IdTagPolicy, IdTagRecord, IdTagStatus } from './id-tag-rules';
import type { Quotas, TenantStatus, TenantType, UserStatus } from './rules';

/**
 * What the domain needs from storage. Every operation but `resolveLogin` runs
 * inside one tenant's transaction (`inTenant`), so the tenant is always explicit
 * and row-level security applies underneath.
 */
export interface IdentityStore {
  /**
   * The one cross-tenant read: which tenant and user a login names. Returns ids
   * and the tenant's status only — never credentials.
   */
  resolveLogin(tenantCode: string, username: string): Promise<LoginTarget | null>;
  /** Run `fn` in one transaction scoped to `tenantId`. Throwing rolls back; returning commits. */
  inTenant<T>(tenantId: string, meta: RequestMeta, fn: (tx: TenantTx) => Promise<T>): Promise<T>;
}

export interface LoginTarget {
  tenantId: string;
  tenantStatus: TenantStatus;
  userId: string | null;
}

export interface TenantRecord {
  id: string;
  parentId: string | null;
  code: string;
  name: string;
  type: TenantType;
  status: TenantStatus;
  quotas: Quotas;
  createdAt: Date;
}

export interface UserRecord {
  id: string;
  tenantId: string;
  username: string;
  displayName: string | null;
  status: UserStatus;
  lockedUntil: Date | null;
  lastLoginAt: Date | null;
  createdAt: Date;
}

export interface UserCredentials {
  id: string;
  username: string;
  passwordHash: string;
  status: UserStatus;
  failedLoginCount: number;
  lockedUntil: Date | null;
}

export interface RoleRecord {
  id: string;
  /** null for system roles */
  tenantId: string | null;
  code: string;
  name: string;
  description: string | null;
  dataScope: DataScope;
  permissions: string[];
}

export interface RefreshTokenRecord {
  id: string;
  userId: string;
  familyId: string;
  parentId: string | null;
  tokenHash: Buffer;
  issuedAt: Date;
  expiresAt: Date;
  /** the whole family's absolute end: rotation never extends a sign-in past it */
  sessionExpiresAt: Date;
  usedAt: Date | null;
  revokedAt: Date | null;
}

export interface NewTenant {
  code: string;
  name: string;
  type: TenantType;
  quotas: Quotas;
}

export interface NewUser {
  username: string;
  displayName: string | null;
  passwordHash: string;
}

export interface NewRole {
  code: string;
  name: string;
  description: string | null;
  dataScope: DataScope;
  permissions: string[];
}

/** One tenant's transaction. `tenantId` is the tenant every write goes to. */
export interface TenantTx {
  readonly tenantId: string;
  /** Append to this tenant's audit log (with the request's ip and id). */
  audit(event: AuditEventInput): Promise<void>;

  /** A tenant visible from here (own or descendant), or null. */
  tenant(id: string): Promise<TenantRecord | null>;
  /** Lock this tenant's row until commit (quota checks) and return its quotas. */
  lockTenantQuotas(): Promise<Quotas | null>;
  /** Change a tenant visible from here (own or descendant); null if not visible. */
  updateTenant(id: string, change: { name?: string; status?: TenantStatus; quotas?: Quotas }): Promise<TenantRecord | null>;
  /** Insert a child of this tenant; 'duplicate' if the code is taken. */
  insertChildTenant(t: NewTenant): Promise<TenantRecord | 'duplicate'>;
  /** Ids of all of this tenant's descendants. */
  descendantIds(): Promise<string[]>;
  /** Run `fn` as a descendant tenant, in this same transaction (creating a child's first admin). */
  asDescendant<T>(tenantId: string, fn: (tx: TenantTx) => Promise<T>): Promise<T>;

  user(id: string): Promise<UserRecord | null>;
  /**
   * The user, share-locked until commit, and the earliest `iat` its next access
   * token may carry (null: no revocation on record). Revocations lock the same
   * row, so a token is issued either wholly before a revoking change commits
   * (and is revoked by it) or after it (and sees the change).
   */
  userForTokens(id: string): Promise<{ user: UserRecord; accessNotBefore: number | null } | null>;
  /** Ids of this tenant's users. */
  userIds(): Promise<string[]>;
  countUsers(): Promise<number>;
  insertUser(u: NewUser): Promise<UserRecord | 'duplicate'>;
  /** Set a user's status; null if the user is not this tenant's. */
  setUserStatus(userId: string, status: UserStatus): Promise<UserRecord | null>;
  /** Lock the user's row until commit (login attempts of one user serialise). */
  lockCredentials(userId: string): Promise<UserCredentials | null>;
  recordLoginFailure(userId: string, failedCount: number, lockedUntil: Date | null): Promise<void>;
  recordLoginSuccess(userId: string, at: Date, newPasswordHash: string | null): Promise<void>;

  /** Roles by id that this tenant may use: system roles and its own. */
  usableRoles(ids: readonly string[]): Promise<RoleRecord[]>;
  usableRolesByCode(codes: readonly string[]): Promise<RoleRecord[]>;
  /** Any role visible to the transaction by id, to tell "not yours" from "missing". */
  role(id: string): Promise<RoleRecord | null>;
  /**
   * Lock this tenant's own roles among `ids` until commit: `forUpdate` to change
   * one, otherwise shared (assigning it). Who holds a role is then read after any
   * concurrent change to it. Lock roles before users, everywhere.
   */
  lockOwnRoles(ids: readonly string[], mode: 'share' | 'update'): Promise<void>;
  /** Ids of this tenant's users holding the role. */
  usersWithRole(roleId: string): Promise<string[]>;
  insertRole(r: NewRole): Promise<RoleRecord | 'duplicate'>;
  updateRole(id: string, change: { permissions: string[]; dataScope: DataScope }): Promise<RoleRecord | null>;
  userRoles(userId: string): Promise<RoleRecord[]>;
  setUserRoles(userId: string, roleIds: readonly string[]): Promise<void>;
  userStationIds(userId: string): Promise<string[]>;
  setUserStations(userId: string, stationIds: readonly string[]): Promise<void>;

  insertRefreshToken(t: Omit<RefreshTokenRecord, 'usedAt' | 'revokedAt'>): Promise<void>;
  /** Lock a refresh token's row until commit: concurrent rotations of one token serialise. */
  lockRefreshToken(id: string): Promise<RefreshTokenRecord | null>;
  markRefreshTokenUsed(id: string, at: Date): Promise<void>;
  /** Revoke every not-yet-revoked token of a family; returns how many. */
  revokeFamily(familyId: string, at: Date, reason: string): Promise<number>;

  /**
   * Lock these users' rows until commit, in id order (concurrent revocations
   * can't deadlock); returns the ids of this tenant's users among them.
   */
  lockUsers(userIds: readonly string[]): Promise<string[]>;
  /**
   * Raise the users' access cut-off to `cutoff` — or one second past the one on
   * record, if that is later (tokens issued since carry it as their iat) — and
   * return each user's new cut-off (NumericDate).
   */
  raiseAccessCutoff(userIds: readonly string[], cutoff: number): Promise<{ userId: string; issuedBefore: number }[]>;
  /** Queue access events in this transaction (outbox); published after commit. */
  queueAccessEvents(events: readonly AccessEvent[]): Promise<void>;
}

/** Signs access tokens. */
export interface AccessTokenIssuer {
  /** `notBefore`: the earliest `iat` (NumericDate) the token may carry — the user's access cut-off. */
  issue(identity: Identity, opts?: { ttlSeconds?: number; notBefore?: number | null }): Promise<{ token: string; expiresAt: Date }>;
  /**
   * The clock tokens are stamped with (`iat`, `exp`). Revocation cut-offs are
   * compared with `iat`, so they are taken on this clock, never on the domain's
   * (which tests move by hand).
   */
  readonly tokenClock: Clock;
}

// ---- id tags ---------------------------------------------------------------------------

export interface IdTagFilter {
  status?: IdTagStatus;
  userId?: string;
  /** part of the value, regardless of case */
  search?: string;
}

/** Keyset page over (tenant, value regardless of case). */
export type IdTagPage = KeysetWindow<{ tenantId: string; key: string }>;

export interface IdTagFields {
  value: string;
  status: IdTagStatus;
  expiresAt: Date | null;
  parentIdTag: string | null;
  userId: string | null;
}

/**
 * Storage of the id-token authority. Writes run in one tenant's transaction
 * (row-level security underneath); reads take the caller's read scope.
 */
export interface IdTagStore {
  inTenant<T>(tenantId: string, meta: RequestMeta, fn: (tx: IdTagTx) => Promise<T>): Promise<T>;
  list(scope: ReadScope, filter: IdTagFilter, page: IdTagPage): Promise<IdTagRecord[]>;
  byValue(scope: ReadScope, value: string): Promise<IdTagRecord | null>;
}

export interface IdTagTx {
  readonly tenantId: string;
  audit(event: AuditEventInput): Promise<void>;
  /** This tenant's tags with these values (regardless of case), locked until commit unless `lock` is false. */
  lockTags(values: readonly string[], opts?: { lock?: boolean }): Promise<IdTagRecord[]>;
  /** Every tag of this tenant, by value. */
  allTags(filter?: IdTagFilter): Promise<IdTagRecord[]>;
  /** 'duplicate': the value (regardless of case) is taken. */
  insertTag(t: IdTagFields): Promise<IdTagRecord | 'duplicate'>;
  updateTag(id: string, t: Omit<IdTagFields, 'value'>): Promise<IdTagRecord>;
  deleteTag(id: string): Promise<void>;
  /** The ids among `ids` of this tenant's users. */
  userIds(ids: readonly string[]): Promise<string[]>;
  policy(): Promise<IdTagPolicy>;
  setPolicy(p: IdTagPolicy): Promise<void>;
  /**
   * Raise the tenant's local-list version by `by` (locking its settings row
   * until commit, so concurrent changes number one after the other) and return
   * the new version.
   */
  raiseListVersion(by: number): Promise<number>;
  listVersion(): Promise<number>;
  /** Queue id-tag events in this transaction (outbox); published after commit. */
  queueIdTagEvents(events: readonly IdTagChanged[]): Promise<void>;
}
