import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import * as jose from 'jose';
import { LRUCache } from 'lru-cache';
import { AppError, ErrorCodes, TenantContextMissingError } from './errors';

/**
 * The verified identity behind a request. Produced only by verifying a token;
 * never assembled from client-supplied headers.
 */
export interface Identity {
  /** user id, or the service name for service identities */
  subject: string;
  kind: 'user' | 'service';
  /** tenant the identity acts for; services acting for no tenant have null */
  tenantId: string | null;
  roles: string[];
  permissions: string[];
  /** How far the identity's reads reach (users); absent for services and for tokens that predate it. */
  dataScope?: DataScope;
  /**
   * Tenants whose data the identity may read: its own tenant, plus descendants for
   * TENANT_AND_CHILDREN (computed by the tenants service when the token is issued).
   */
  visibleTenantIds?: string[];
  /** Stations a user with ASSIGNED_STATIONS scope is assigned to. */
  stationIds?: string[];
  /**
   * Set when someone acts in this tenant on another tenant's behalf (a platform
   * admin's explicit, audited `assumeTenant`): who really acts (RFC 8693 `act`).
   */
  actor?: { subject: string; tenantId: string };
}

export const DATA_SCOPES = ['ALL', 'TENANT_AND_CHILDREN', 'TENANT', 'ASSIGNED_STATIONS', 'SELF'] as const;
export type DataScope = (typeof DATA_SCOPES)[number];

export interface RequestContextState {
  identity: Identity;
  requestId: string;
}

const storage = new AsyncLocalStorage<RequestContextState>();

export const requestContext = {
  run<T>(state: RequestContextState, fn: () => T): T {
    return storage.run(state, fn);
  },
  get(): RequestContextState | undefined {
    return storage.getStore();
  },
};

/**
 * Who calls a public operation (login) with no identity of their own. The router
 * relays such a request with a token for this identity, so the request claims
 * (request id, client address) reach the subgraph signed like any other.
 */
export const ANONYMOUS: Identity = Object.freeze({ subject: 'anonymous', kind: 'user', tenantId: null, roles: [], permissions: [] }) as Identity;

/** No identity: only public operations may run (user subjects are UUIDs, never "anonymous"). */
export function isAnonymous(identity: Identity): boolean {
  return identity.subject === ANONYMOUS.subject && identity.kind === 'user' && identity.tenantId === null && identity.permissions.length === 0;
}

/** The tenant of the current request, or a TENANT_CONTEXT_MISSING error. Never a default. */
export function requireTenant(identity: Identity | undefined | null, where = 'request'): string {
  const tenantId = identity?.tenantId;
  if (!tenantId) throw new TenantContextMissingError(where);
  return tenantId;
}

export const INTERNAL_AUDIENCE = 'evcs-subgraphs';
export const INTERNAL_ALG = 'ES256';

export interface SigningKey {
  kid: string;
  privateKey: jose.KeyLike;
  publicJwk: jose.JWK;
}

export async function generateSigningKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await jose.generateKeyPair(INTERNAL_ALG, { extractable: true });
  const publicJwk = { ...(await jose.exportJWK(publicKey)), kid, alg: INTERNAL_ALG, use: 'sig' };
  return { kid, privateKey, publicJwk };
}

/** Serialise a key pair as a private JWK (for files named by env vars; never committed). */
export async function exportSigningKey(key: SigningKey): Promise<string> {
  const jwk = await jose.exportJWK(key.privateKey);
  return JSON.stringify({ ...jwk, kid: key.kid, alg: INTERNAL_ALG });
}

export async function importSigningKey(json: string): Promise<SigningKey> {
  const jwk = JSON.parse(json) as jose.JWK;
  if (!jwk.kid) throw new AppError(ErrorCodes.INVALID_CONFIGURATION, 'signing key has no kid');
  const privateKey = (await jose.importJWK(jwk, INTERNAL_ALG)) as jose.KeyLike;
  const { d: _d, ...pub } = jwk;
  return { kid: jwk.kid, privateKey, publicJwk: { ...pub, use: 'sig', alg: INTERNAL_ALG } };
}

/**
 * Issues short-lived tokens that carry a verified identity from one hop to the
 * next (router → subgraph, bridge → subgraph). Subgraphs verify them against a
 * key set; an identity header sent by a client is never trusted.
 */
export class TokenIssuer {
  constructor(
    private readonly key: SigningKey,
    /** the `iss` of every token this signs; verifiers accept it only from keys bound to it */
    readonly issuer: string,
    private readonly audience = INTERNAL_AUDIENCE,
    private readonly ttlSeconds = 60,
  ) {}

  /**
   * `opts.notBefore` (a NumericDate, whole seconds) is the earliest `iat` the token
   * may carry: an issuer that has revoked a subject's tokens "issued before S"
   * stamps the subject's next ones with at least S, even within the second S-1.
   */
  async issue(identity: Identity, ttlSeconds = this.ttlSeconds, opts: { notBefore?: number; request?: RequestClaims } = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const request = opts.request;
    return new jose.SignJWT({
      kind: identity.kind,
      tid: identity.tenantId,
      roles: identity.roles,
      perms: identity.permissions,
      ...(identity.dataScope ? { ds: identity.dataScope } : {}),
      ...(identity.visibleTenantIds ? { vt: identity.visibleTenantIds } : {}),
      ...(identity.stationIds ? { st: identity.stationIds } : {}),
      ...(identity.actor ? { act: { sub: identity.actor.subject, tid: identity.actor.tenantId } } : {}),
      ...(request?.requestId ? { rid: request.requestId } : {}),
      ...(request?.clientIp ? { cip: request.clientIp } : {}),
    })
      .setProtectedHeader({ alg: INTERNAL_ALG, kid: this.key.kid, typ: 'JWT' })
      .setSubject(identity.subject)
      .setIssuer(this.issuer)
      .setAudience(this.audience)
      .setIssuedAt(Math.max(now, opts.notBefore ?? 0))
      .setJti(randomUUID())
      .setExpirationTime(now + ttlSeconds)
      .sign(this.key.privateKey);
  }
}

/**
 * What the router tells a subgraph about the request it relays, inside the token
 * it signs (`rid`, `cip`): a header would be the caller's to write, and these go
 * into audit records.
 */
export interface RequestClaims {
  requestId?: string;
  /** the end client's address as the router saw it */
  clientIp?: string;
}

/** A verified token: the identity it carries, the times it states (NumericDates, whole seconds), and its issuer. */
export interface VerifiedToken {
  identity: Identity;
  issuedAt: number;
  expiresAt: number;
  issuer: string;
  /** request claims, when the issuer relays a request (the router) */
  request: RequestClaims;
}

/**
 * A further check of a verified token's identity by its issuer (e.g. what a
 * service issuer may grant, INTERNAL_TOKEN_POLICY); throws to refuse.
 */
export type TokenPolicy = (identity: Identity, issuer: string) => void;

/** A public JWK bound to the one issuer it may sign for (its `iss` member; see issuerBoundJwks). */
type BoundJwk = jose.JWK & { iss?: unknown };

/** A JWKS whose every key names the issuer it signs for: what a verifier of several issuers trusts. */
export function issuerBoundJwks(byIssuer: Record<string, readonly jose.JWK[]>): jose.JSONWebKeySet {
  return { keys: Object.entries(byIssuer).flatMap(([iss, keys]) => keys.map((k) => ({ ...k, iss }))) };
}

/**
 * kid → the issuer that key may sign for. With one issuer every key signs for
 * it. With several, each key must name its own (`iss`), or any key holder could
 * sign as any issuer — the bridge's key minting the router's tokens.
 */
function issuersByKid(keys: jose.JSONWebKeySet, issuers: readonly string[]): Map<string, string> | null {
  if (issuers.length <= 1) return null;
  const bound = new Map<string, string>();
  for (const k of keys.keys as BoundJwk[]) {
    if (!k.kid || typeof k.iss !== 'string' || !issuers.includes(k.iss)) {
      throw new AppError(
        ErrorCodes.INVALID_CONFIGURATION,
        `key ${k.kid ?? '(no kid)'} names no accepted issuer: each key of a several-issuer key set must (its "iss")`,
      );
    }
    if (bound.has(k.kid)) throw new AppError(ErrorCodes.INVALID_CONFIGURATION, `key id ${k.kid} appears twice`);
    bound.set(k.kid, k.iss);
  }
  return bound;
}

export class TokenVerifier {
  private readonly keySet: jose.JWTVerifyGetKey;

  /**
   * `keys` is either a static key set or a JWKS URL. A URL is fetched lazily and
   * re-fetched when a token names an unknown `kid`, which is what makes signing
   * key rotation work without restarting verifiers.
   */
  constructor(
    keys: jose.JSONWebKeySet | URL,
    private readonly issuers: string[],
    private readonly audience = INTERNAL_AUDIENCE,
    private readonly policy?: TokenPolicy,
  ) {
    if (keys instanceof URL && issuers.length > 1) {
      throw new AppError(ErrorCodes.INVALID_CONFIGURATION, 'a JWKS URL serves one issuer: a key set for several must bind each key to its issuer');
    }
    this.keySet = keys instanceof URL ? jose.createRemoteJWKSet(keys, { cooldownDuration: 5_000, cacheMaxAge: 10 * 60_000 }) : jose.createLocalJWKSet(keys);
    this.boundIssuers = keys instanceof URL ? null : issuersByKid(keys, issuers);
  }

  private readonly boundIssuers: Map<string, string> | null;

  /**
   * Tokens already verified, until they expire (at most a minute, so a key taken
   * out of the set stops working within a minute). Keyed by the whole token: a
   * token differing in any byte is verified afresh. The router signs one internal
   * token per client identity and reuses it, so subgraphs verify each once, not
   * once per request. Identities from here are frozen: they are shared.
   */
  private readonly verified = new LRUCache<string, VerifiedToken>({ max: 20_000 });

  async verify(token: string): Promise<Identity> {
    return (await this.verifyToken(token)).identity;
  }

  /**
   * Verify and also say when the token was issued and expires. The cache only
   * remembers that the signature and claims were good: whoever must refuse
   * revoked tokens (the router) checks `issuedAt` on every use, cached or not.
   */
  async verifyToken(token: string): Promise<VerifiedToken> {
    const hit = this.verified.get(token);
    if (hit) return hit;
    const verified = await this.verifyUncached(token);
    const ttl = Math.min(verified.expiresAt * 1000 - Date.now(), 60_000);
    if (ttl > 0) this.verified.set(token, verified, { ttl });
    return verified;
  }

  private async verifyUncached(token: string): Promise<VerifiedToken> {
    try {
      const { payload, protectedHeader } = await jose.jwtVerify(token, this.keySet, {
        issuer: this.issuers,
        audience: this.audience,
        algorithms: [INTERNAL_ALG],
        // a token without expiry would never die
        requiredClaims: ['exp', 'iat', 'sub'],
        clockTolerance: 5,
      });
      // jwtVerify checked that the issuer is one of ours; this, that the key may sign for it.
      if (this.boundIssuers && (!protectedHeader.kid || this.boundIssuers.get(protectedHeader.kid) !== payload.iss)) {
        throw new Error(`key ${protectedHeader.kid ?? '(none)'} may not sign for ${payload.iss}`);
      }
      const kind = payload.kind === 'service' ? 'service' : 'user';
      const tenantId = typeof payload.tid === 'string' ? payload.tid : null;
      if (!payload.sub) throw new Error('token has no subject');
      const identity = deepFreeze<Identity>({
        subject: payload.sub,
        kind,
        tenantId,
        roles: asStringArray(payload.roles),
        permissions: asStringArray(payload.perms),
        ...(typeof payload.ds === 'string' && (DATA_SCOPES as readonly string[]).includes(payload.ds) ? { dataScope: payload.ds as DataScope } : {}),
        ...(payload.vt !== undefined ? { visibleTenantIds: asStringArray(payload.vt) } : {}),
        ...(payload.st !== undefined ? { stationIds: asStringArray(payload.st) } : {}),
        ...actorClaim(payload.act),
      });
      const issuer = payload.iss as string;
      this.policy?.(identity, issuer);
      // exp and iat are required, so always numbers here
      return Object.freeze({ identity, issuedAt: payload.iat as number, expiresAt: payload.exp as number, issuer, request: requestClaimsOf(payload) });
    } catch (e) {
      throw new AppError(ErrorCodes.UNAUTHENTICATED, 'Invalid or expired token', { cause: e });
    }
  }
}

function requestClaimsOf(payload: jose.JWTPayload): RequestClaims {
  return Object.freeze({
    ...(typeof payload.rid === 'string' ? { requestId: payload.rid } : {}),
    ...(typeof payload.cip === 'string' ? { clientIp: payload.cip } : {}),
  });
}

function deepFreeze<T extends object>(o: T): T {
  for (const v of Object.values(o)) if (v && typeof v === 'object') deepFreeze(v as object);
  return Object.freeze(o);
}

function actorClaim(act: unknown): { actor?: { subject: string; tenantId: string } } {
  if (!act || typeof act !== 'object') return {};
  const { sub, tid } = act as { sub?: unknown; tid?: unknown };
  return typeof sub === 'string' && typeof tid === 'string' ? { actor: { subject: sub, tenantId: tid } } : {};
}

function asStringArray(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** Extract a bearer token from an Authorization header value. */
export function bearer(header: string | string[] | undefined): string | undefined {
  const v = Array.isArray(header) ? header[0] : header;
  if (!v) return undefined;
  const m = /^Bearer\s+([A-Za-z0-9\-_.]+)$/i.exec(v.trim());
  return m?.[1];
}
