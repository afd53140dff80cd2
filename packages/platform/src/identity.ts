import { AsyncLocalStorage } from 'node:async_hooks';
import * as jose from 'jose';
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
}

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
    private readonly issuer: string,
    private readonly audience = INTERNAL_AUDIENCE,
    private readonly ttlSeconds = 60,
  ) {}

  async issue(identity: Identity): Promise<string> {
    return new jose.SignJWT({
      kind: identity.kind,
      tid: identity.tenantId,
      roles: identity.roles,
      perms: identity.permissions,
    })
      .setProtectedHeader({ alg: INTERNAL_ALG, kid: this.key.kid, typ: 'JWT' })
      .setSubject(identity.subject)
      .setIssuer(this.issuer)
      .setAudience(this.audience)
      .setIssuedAt()
      .setExpirationTime(`${this.ttlSeconds}s`)
      .sign(this.key.privateKey);
  }
}

export class TokenVerifier {
  private readonly keySet: ReturnType<typeof jose.createLocalJWKSet>;

  constructor(
    jwks: jose.JSONWebKeySet,
    private readonly issuers: string[],
    private readonly audience = INTERNAL_AUDIENCE,
  ) {
    this.keySet = jose.createLocalJWKSet(jwks);
  }

  async verify(token: string): Promise<Identity> {
    try {
      const { payload } = await jose.jwtVerify(token, this.keySet, {
        issuer: this.issuers,
        audience: this.audience,
        algorithms: [INTERNAL_ALG],
        clockTolerance: 5,
      });
      const kind = payload.kind === 'service' ? 'service' : 'user';
      const tenantId = typeof payload.tid === 'string' ? payload.tid : null;
      if (!payload.sub) throw new Error('token has no subject');
      return {
        subject: payload.sub,
        kind,
        tenantId,
        roles: asStringArray(payload.roles),
        permissions: asStringArray(payload.perms),
      };
    } catch (e) {
      throw new AppError(ErrorCodes.UNAUTHENTICATED, 'Invalid or expired token', { cause: e });
    }
  }
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
