import { randomUUID } from 'node:crypto';
import { ForbiddenError, type Identity } from '@evcs/platform';
import { accessIdentity, readsDescendants, widestScope } from './access';
import type { RequestMeta } from './audit';
import type { Clock } from './clock';
import { UserErrorCodes } from './error-codes';
import { fail, failAll, ok, type Outcome } from '@evcs/platform';
import type { PasswordHasher } from './password';
import type { AccessTokenIssuer, IdentityStore, TenantRecord, TenantTx, UserRecord } from './ports';
import { hashRefreshToken, newRefreshToken, parseRefreshToken, sameHash } from './refresh-token';
import { revokeAccess } from './revocation';
import { checkUuids, DEFAULT_LOCKOUT, LockoutPolicy, normalizeTenantCode, normalizeUsername, PASSWORD_MAX } from './rules';

export interface AuthSettings {
  lockout: LockoutPolicy;
  /** a refresh token unused this long expires (idle timeout) */
  refreshTokenTtlSeconds: number;
  /** a sign-in ends this long after login, however often it is refreshed */
  sessionMaxAgeSeconds: number;
}

export const DEFAULT_AUTH_SETTINGS: AuthSettings = {
  lockout: DEFAULT_LOCKOUT,
  refreshTokenTtlSeconds: 7 * 24 * 3600,
  sessionMaxAgeSeconds: 30 * 24 * 3600,
};

/** Permissions that never travel into an assumed tenant (event:replay: platform operations stay on the platform's own token). */
const CROSS_TENANT_PERMISSIONS: readonly string[] = ['platform:cross-tenant', 'tenant:admin', 'role:write', 'event:replay'];
export const ASSUMED_TOKEN_TTL_SECONDS = 15 * 60;

export interface AssumedTenant {
  accessToken: string;
  accessTokenExpiresAt: Date;
  tenant: TenantRecord;
}

export interface IssuedTokens {
  accessToken: string;
  accessTokenExpiresAt: Date;
  refreshToken: string;
  user: UserRecord;
}

// One message whether the tenant, the user or the password was wrong.
const invalidCredentials = <T>() => fail<T>(UserErrorCodes.INVALID_CREDENTIALS, null, 'Invalid tenant, username or password');
const invalidRefresh = <T>() => fail<T>(UserErrorCodes.INVALID_REFRESH_TOKEN, 'refreshToken', 'The refresh token is invalid or expired');

/**
 * Login, refresh-token rotation and logout.
 *
 * Refresh tokens rotate: each use returns a new one and marks the old one
 * used. A used token presented again means it was copied, so the whole family
 * (everything descended from that login) is revoked and the reuse audited.
 */
export class AuthService {
  constructor(
    private readonly store: IdentityStore,
    private readonly issuer: AccessTokenIssuer,
    private readonly hasher: PasswordHasher,
    private readonly clock: Clock,
    private readonly settings: AuthSettings = DEFAULT_AUTH_SETTINGS,
  ) {}

  async login(input: { tenantCode: string; username: string; password: string }, meta: RequestMeta): Promise<Outcome<IssuedTokens>> {
    const tenantCode = normalizeTenantCode(input.tenantCode);
    const username = normalizeUsername(input.username);
    const { password } = input;
    if (!tenantCode || !username || !password || password.length > PASSWORD_MAX * 4) {
      await this.hasher.burn(password.slice(0, PASSWORD_MAX));
      return invalidCredentials();
    }
    const target = await this.store.resolveLogin(tenantCode, username);
    if (!target) {
      await this.hasher.burn(password);
      return invalidCredentials();
    }
    const now = this.clock.now();
    // Failures return (and so commit their audit records and counters); only surprises throw.
    return this.store.inTenant(target.tenantId, meta, async (tx) => {
      const cred = target.userId ? await tx.lockCredentials(target.userId) : null;
      if (!cred) {
        await this.hasher.burn(password);
        await tx.audit({ type: 'LOGIN_FAILED', details: { username, reason: 'UNKNOWN_USER' } });
        return invalidCredentials();
      }
      const subject = { userId: cred.id, username };
      if (cred.lockedUntil && cred.lockedUntil > now) {
        // No password check while locked: guessing stops being useful. The answer is the one an
        // unknown user or a wrong password gets (and costs the same hash), so a lock tells a
        // guesser nothing about which usernames exist; the lock itself is in the audit log.
        await this.hasher.burn(password);
        await tx.audit({ type: 'LOGIN_FAILED', details: { ...subject, reason: 'ACCOUNT_LOCKED', lockedUntil: cred.lockedUntil.toISOString() } });
        return invalidCredentials();
      }
      if (!(await this.hasher.verify(password, cred.passwordHash))) {
        // An expired lock starts a fresh count.
        const prior = cred.lockedUntil ? 0 : cred.failedLoginCount;
        const failures = prior + 1;
        const { maxFailures, lockSeconds } = this.settings.lockout;
        const lockedUntil = failures >= maxFailures ? new Date(now.getTime() + lockSeconds * 1000) : null;
        await tx.recordLoginFailure(cred.id, failures, lockedUntil);
        await tx.audit({ type: 'LOGIN_FAILED', details: { ...subject, reason: 'BAD_PASSWORD', consecutiveFailures: failures } });
        if (lockedUntil) await tx.audit({ type: 'ACCOUNT_LOCKED', details: { ...subject, failures, lockedUntil: lockedUntil.toISOString() } });
        return invalidCredentials();
      }
      if (cred.status !== 'ACTIVE' || target.tenantStatus !== 'ACTIVE') {
        await tx.audit({ type: 'LOGIN_FAILED', details: { ...subject, reason: cred.status !== 'ACTIVE' ? 'USER_DISABLED' : `TENANT_${target.tenantStatus}` } });
        return fail<IssuedTokens>(UserErrorCodes.ACCOUNT_DISABLED, null, 'This account is disabled');
      }
      const rehash = this.hasher.needsRehash(cred.passwordHash) ? await this.hasher.hash(password) : null;
      await tx.recordLoginSuccess(cred.id, now, rehash);
      const familyId = randomUUID();
      const tokens = await this.issue(
        tx,
        cred.id,
        { familyId, parentId: null, sessionExpiresAt: new Date(now.getTime() + this.settings.sessionMaxAgeSeconds * 1000) },
        now,
      );
      if (!tokens) return invalidCredentials();
      await tx.audit({ type: 'LOGIN_SUCCEEDED', actorUserId: cred.id, actorTenantId: tx.tenantId, details: { ...subject, familyId } });
      return ok(tokens);
    });
  }

  async refresh(token: string, meta: RequestMeta): Promise<Outcome<IssuedTokens>> {
    const parts = parseRefreshToken(token);
    if (!parts) return invalidRefresh();
    const now = this.clock.now();
    return this.store.inTenant(parts.tenantId, meta, async (tx) => {
      const row = await tx.lockRefreshToken(parts.tokenId);
      if (!row || !sameHash(row.tokenHash, hashRefreshToken(token)) || row.revokedAt) return invalidRefresh();
      if (row.usedAt) {
        const revoked = await tx.revokeFamily(row.familyId, now, 'REUSE');
        // Whoever copied the refresh token may hold access tokens minted with it. Access
        // tokens don't say which sign-in they belong to, so all of the user's go.
        await revokeAccess(tx, this.issuer.tokenClock, [row.userId], 'REFRESH_TOKEN_REUSED');
        await tx.audit({
          type: 'TOKEN_REUSE',
          details: { userId: row.userId, familyId: row.familyId, tokenId: row.id, usedAt: row.usedAt.toISOString(), revokedTokens: revoked },
        });
        return fail<IssuedTokens>(UserErrorCodes.TOKEN_REUSED, 'refreshToken', 'This refresh token was already used; the sign-in has been revoked');
      }
      if (row.expiresAt <= now) return invalidRefresh();
      await tx.markRefreshTokenUsed(row.id, now);
      const tokens = await this.issue(tx, row.userId, { familyId: row.familyId, parentId: row.id, sessionExpiresAt: row.sessionExpiresAt }, now);
      if (!tokens) {
        // The user was disabled since: end the sign-in.
        await tx.revokeFamily(row.familyId, now, 'USER_INACTIVE');
        return invalidRefresh();
      }
      return ok(tokens);
    });
  }

  /** Ends the sign-in the refresh token belongs to. Only its own user may do so. */
  async logout(actor: { userId: string; tenantId: string }, token: string, meta: RequestMeta): Promise<Outcome<true>> {
    const parts = parseRefreshToken(token);
    if (!parts || parts.tenantId !== actor.tenantId) return invalidRefresh();
    const now = this.clock.now();
    return this.store.inTenant(actor.tenantId, meta, async (tx) => {
      const row = await tx.lockRefreshToken(parts.tokenId);
      if (!row || !sameHash(row.tokenHash, hashRefreshToken(token)) || row.userId !== actor.userId) return invalidRefresh();
      const revoked = await tx.revokeFamily(row.familyId, now, 'LOGOUT');
      await tx.audit({ type: 'LOGOUT', actorUserId: actor.userId, actorTenantId: actor.tenantId, details: { familyId: row.familyId, revokedTokens: revoked } });
      return ok(true as const);
    });
  }

  /**
   * The one way to act inside another tenant: a platform administrator (holding
   * `platform:cross-tenant`) asks for a short-lived access token of a
   * descendant tenant, giving a reason. The token carries who really acts (`act`),
   * reads only that tenant (TENANT scope), holds none of the cross-tenant
   * permissions (no chaining), has no refresh token, and the action is audited in
   * both tenants.
   */
  async assumeTenant(actor: Identity, input: { tenantId: string; reason: string }, meta: RequestMeta): Promise<Outcome<AssumedTenant>> {
    if (actor.kind !== 'user' || !actor.tenantId || actor.actor)
      throw new ForbiddenError('only a signed-in user acting for their own tenant can assume another');
    if (!actor.permissions.includes('platform:cross-tenant')) throw new ForbiddenError('missing permission platform:cross-tenant');
    const reason = input.reason.trim();
    const errors = [...checkUuids([input.tenantId], 'tenantId')];
    if (reason.length < 10 || reason.length > 500)
      errors.push({ code: UserErrorCodes.INVALID_INPUT, field: 'reason', message: 'Give a reason of 10–500 characters' });
    if (errors.length) return failAll(errors);
    const actorTenantId = actor.tenantId;
    return this.store.inTenant(actorTenantId, meta, async (tx) => {
      const target = input.tenantId === actorTenantId ? null : await tx.tenant(input.tenantId);
      if (!target) return fail<AssumedTenant>(UserErrorCodes.NOT_FOUND, 'tenantId', 'No such tenant below yours');
      if (target.status !== 'ACTIVE') return fail<AssumedTenant>(UserErrorCodes.NOT_ALLOWED, 'tenantId', `The tenant is ${target.status}`);
      // The caller's token was good when the router checked it, but its roles may have been
      // taken away since (and its revocation may not have reached the router yet): the new
      // token carries no more than the token and the user's current roles both grant.
      const me = await tx.userForTokens(actor.subject);
      if (!me || me.user.status !== 'ACTIVE') throw new ForbiddenError('only an active user can assume another tenant');
      const current = await tx.userRoles(actor.subject);
      const currentPermissions = new Set(current.flatMap((r) => r.permissions));
      const currentRoles = new Set(current.map((r) => r.code));
      if (!currentPermissions.has('platform:cross-tenant')) throw new ForbiddenError('missing permission platform:cross-tenant');
      const identity: Identity = {
        subject: actor.subject,
        kind: 'user',
        tenantId: target.id,
        roles: actor.roles.filter((r) => currentRoles.has(r)),
        permissions: actor.permissions.filter((p) => !CROSS_TENANT_PERMISSIONS.includes(p) && currentPermissions.has(p)),
        dataScope: 'TENANT',
        visibleTenantIds: [target.id],
        actor: { subject: actor.subject, tenantId: actorTenantId },
      };
      const access = await this.issuer.issue(identity, { ttlSeconds: ASSUMED_TOKEN_TTL_SECONDS, notBefore: me.accessNotBefore });
      const details = { action: 'TENANT_ASSUMED', targetTenantId: target.id, reason, expiresAt: access.expiresAt.toISOString() };
      const by = { actorUserId: actor.subject, actorTenantId };
      await tx.audit({ type: 'CROSS_TENANT_ACTION', ...by, details });
      await tx.asDescendant(target.id, (child) => child.audit({ type: 'TENANT_ASSUMED', ...by, details }));
      return ok({ accessToken: access.token, accessTokenExpiresAt: access.expiresAt, tenant: target });
    });
  }

  /**
   * Access token from the user's current roles and assignments, plus a new
   * refresh token in `family`. Null if the user can't sign in any more.
   */
  private async issue(
    tx: TenantTx,
    userId: string,
    family: { familyId: string; parentId: string | null; sessionExpiresAt: Date },
    now: Date,
  ): Promise<IssuedTokens | null> {
    // Share-locked: a revoking change to this user either committed already (and is read
    // below) or waits for this token to be issued, and then revokes it.
    const locked = await tx.userForTokens(userId);
    const user = locked?.user;
    const tenant = await tx.tenant(tx.tenantId);
    if (!locked || !user || user.status !== 'ACTIVE' || !tenant || tenant.status !== 'ACTIVE') return null;
    const roles = await tx.userRoles(userId);
    const scope = widestScope(roles.map((r) => r.dataScope));
    const identity = accessIdentity({
      userId,
      tenantId: tx.tenantId,
      roles,
      descendantTenantIds: readsDescendants(scope) ? await tx.descendantIds() : [],
      stationIds: scope === 'ASSIGNED_STATIONS' ? await tx.userStationIds(userId) : [],
    });
    const access = await this.issuer.issue(identity, { notBefore: locked.accessNotBefore });
    const refresh = newRefreshToken(tx.tenantId);
    const idleEnd = now.getTime() + this.settings.refreshTokenTtlSeconds * 1000;
    await tx.insertRefreshToken({
      id: refresh.tokenId,
      userId,
      familyId: family.familyId,
      parentId: family.parentId,
      tokenHash: refresh.hash,
      issuedAt: now,
      expiresAt: new Date(Math.min(idleEnd, family.sessionExpiresAt.getTime())),
      sessionExpiresAt: family.sessionExpiresAt,
    });
    return { accessToken: access.token, accessTokenExpiresAt: access.expiresAt, refreshToken: refresh.token, user };
  }
}
