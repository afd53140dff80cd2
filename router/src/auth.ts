import { Kind, OperationDefinitionNode, parse } from 'graphql';
import {
  ANONYMOUS,
  AppError,
  bearer,
  ErrorCodes,
  ROUTER_REQUEST_ID_HEADER,
  type Identity,
  type Logger,
  type TokenIssuer,
  type TokenVerifier,
  type VerifiedToken,
} from '@evcs/platform';
import type { RevocationCheck } from './revocations';

/**
 * Root fields a client may call without an access token — the ones that
 * produce one. An operation is public only if every root field is in here.
 */
export const PUBLIC_ROOT_FIELDS: readonly string[] = ['login', 'refreshToken'];

/**
 * Identity-bearing headers the router never forwards. Subgraphs learn who is
 * calling only from the internal token the router signs; anything a client
 * sends under these names is dropped.
 */
export const IDENTITY_HEADERS: readonly string[] = [
  'authorization',
  'x-tenant-id',
  'x-user-id',
  'x-subject',
  'x-roles',
  'x-permissions',
  'x-identity',
  'x-forwarded-user',
  'x-auth-request-user',
];
const IDENTITY_HEADER_PREFIX = 'x-evcs-';

export function isIdentityHeader(name: string): boolean {
  const n = name.toLowerCase();
  return IDENTITY_HEADERS.includes(n) || n.startsWith(IDENTITY_HEADER_PREFIX);
}

/** Per-operation context of the gateway and of subscription execution. */
export interface RouterContext {
  /** Verified client identity; null only for public operations (login). */
  identity: Identity | null;
  requestId: string;
  log: Logger;
  /**
   * The client's address (audit of sign-ins): the socket's peer, or what a trusted edge forwarded
   * (@evcs/platform client-address.ts); never what a client claims. Subgraphs get it, and the request id, inside
   * the internal token.
   */
  clientIp?: string;
}

export class UnauthenticatedError extends AppError {
  readonly status = 401;
  constructor(message = 'Authentication required') {
    super(ErrorCodes.UNAUTHENTICATED, message);
  }
}

/**
 * A genuine, unexpired token whose access was revoked after it was issued
 * (roles changed, user's tenant suspended…). Distinct from UNAUTHENTICATED so a
 * client knows to refresh or sign in again rather than suspect its token.
 */
export class TokenRevokedError extends AppError {
  readonly status = 401;
  constructor() {
    super(ErrorCodes.TOKEN_REVOKED, 'The access token was revoked; refresh it or sign in again');
  }
}

/** Verify a client token and refuse it if its access was revoked since it was issued. */
async function verifyClientToken(verifier: TokenVerifier, revocations: RevocationCheck, token: string): Promise<VerifiedToken> {
  let verified: VerifiedToken;
  try {
    verified = await verifier.verifyToken(token);
  } catch {
    throw new UnauthenticatedError('Invalid or expired token');
  }
  // After the verifier, whose answer may be cached: revocation is checked on every use.
  if (revocations.isRevoked(verified.identity.subject, verified.issuedAt)) throw new TokenRevokedError();
  return verified;
}

/**
 * The identity behind an HTTP GraphQL request: verified from the bearer token,
 * or null for an operation made only of public root fields. A token that is
 * present but invalid is rejected even for public operations, so a client
 * learns its token is bad instead of silently acting anonymously.
 */
export async function authenticateHttp(
  verifier: TokenVerifier,
  revocations: RevocationCheck,
  authorization: string | string[] | undefined,
  body: unknown,
  publicRootFields: readonly string[] = PUBLIC_ROOT_FIELDS,
): Promise<Identity | null> {
  const token = bearer(authorization);
  if (token) return (await verifyClientToken(verifier, revocations, token)).identity;
  if (authorization) throw new UnauthenticatedError('Authorization header is not a bearer token');
  if (isPublicOperation(body, publicRootFields)) return null;
  throw new UnauthenticatedError();
}

export interface ConnectionAuth {
  identity: Identity;
  /** When the token was issued (its `iat`, seconds): a later revocation of this user may cover it. */
  issuedAt: number;
  /** When the token expires (ms since epoch); the connection must not outlive it. */
  expiresAt: number;
}

/** Verify `connectionParams.authorization` ("Bearer …") of a graphql-ws connection. */
export async function authenticateConnection(
  verifier: TokenVerifier,
  revocations: RevocationCheck,
  connectionParams: Readonly<Record<string, unknown>> | undefined,
): Promise<ConnectionAuth> {
  const raw = connectionParams?.authorization ?? connectionParams?.Authorization;
  const token = typeof raw === 'string' ? bearer(raw) : undefined;
  if (!token) throw new UnauthenticatedError();
  const { identity, issuedAt, expiresAt } = await verifyClientToken(verifier, revocations, token);
  return { identity, issuedAt, expiresAt: expiresAt * 1000 };
}

/**
 * True if the request body is a single GraphQL operation whose root selections
 * are all plain fields from the allowlist. Anything unusual (batches, fragments
 * at the root, several operations without a name to pick) is not public.
 */
export function isPublicOperation(body: unknown, publicRootFields: readonly string[]): boolean {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return false;
  const { query, operationName } = body as { query?: unknown; operationName?: unknown };
  if (typeof query !== 'string') return false;
  let ops: OperationDefinitionNode[];
  try {
    ops = parse(query).definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  } catch {
    return false;
  }
  const op = typeof operationName === 'string' ? ops.find((o) => o.name?.value === operationName) : ops.length === 1 ? ops[0] : undefined;
  if (!op || op.selectionSet.selections.length === 0) return false;
  return op.selectionSet.selections.every((s) => s.kind === Kind.FIELD && publicRootFields.includes(s.name.value));
}

/**
 * The header that carries the router's request id to a subgraph beside a
 * shared query token (InternalTokens.forQuery), which cannot carry it. A
 * subgraph believes it only next to a token the router signed; from a client
 * it never arrives (the x-evcs- prefix is an identity header, stripped).
 */
export const REQUEST_ID_HEADER = ROUTER_REQUEST_ID_HEADER;

/**
 * Internal tokens for subgraph requests.
 *
 * `forRequest`: one per request, carrying its id and the client's address
 * signed (`rid`, `cip`) — what mutations and public operations (sign-in) get,
 * since their subgraphs write those into audit records. Reused for half their
 * lifetime by the request's context, so a request fanning out to several
 * subgraphs, or a subscription resolving fields for a stream of events, signs
 * once rather than per fetch.
 *
 * `forQuery`: one per identity and client address, reused for half its
 * lifetime by every query of that identity from that address. Signing (ES256,
 * ~170 µs of CPU) and then verifying a fresh token in the subgraph for every
 * read was the largest single cost of a query through the router; with one
 * token per identity the subgraph's verified-token cache answers instead. The
 * address is still signed; the request id travels in REQUEST_ID_HEADER (logs).
 */
export class InternalTokens {
  private readonly cache = new WeakMap<RouterContext, { token: Promise<string>; issuedAt: number }>();
  private readonly shared = new WeakMap<Identity, Map<string, { token: Promise<string>; issuedAt: number }>>();

  constructor(
    private readonly issuer: TokenIssuer,
    private readonly reuseForMs = 30_000,
  ) {}

  forRequest(ctx: RouterContext): Promise<string> {
    const hit = this.cache.get(ctx);
    if (hit && Date.now() - hit.issuedAt < this.reuseForMs) return hit.token;
    const token = this.issuer.issue(ctx.identity ?? ANONYMOUS, undefined, { request: { requestId: ctx.requestId, clientIp: ctx.clientIp } });
    this.cache.set(ctx, { token, issuedAt: Date.now() });
    token.catch(() => this.cache.delete(ctx));
    return token;
  }

  /** A query's token: shared by the identity (a verified client token's) and the client's address. */
  forQuery(ctx: RouterContext & { identity: Identity }): Promise<string> {
    let byAddress = this.shared.get(ctx.identity);
    if (!byAddress) this.shared.set(ctx.identity, (byAddress = new Map()));
    const address = ctx.clientIp ?? '';
    const hit = byAddress.get(address);
    const now = Date.now();
    if (hit && now - hit.issuedAt < this.reuseForMs) return hit.token;
    // Old entries of other addresses go when this one is renewed: the map stays as small as the identity's live addresses.
    for (const [a, e] of byAddress) if (now - e.issuedAt >= this.reuseForMs) byAddress.delete(a);
    const token = this.issuer.issue(ctx.identity, undefined, { request: ctx.clientIp ? { clientIp: ctx.clientIp } : {} });
    const entry = { token, issuedAt: now };
    byAddress.set(address, entry);
    token.catch(() => byAddress.get(address) === entry && byAddress.delete(address));
    return token;
  }
}
