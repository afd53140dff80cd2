import { AppError, ErrorCodes, isAppError, type ServiceGraphQLClient } from '@evcs/platform';
import { z } from 'zod';
import type { AuthorizationStatus, IdTagAnswer, IdTagAuthority, LocalAuthList } from './ports';

/**
 * Every tag Accepted, no list: the bridge on its own (unit tests, demos of the
 * bridge without the platform). main.ts always wires the tenants authority.
 */
export const ACCEPT_EVERY_TAG: IdTagAuthority = {
  authorize: async () => ({ status: 'Accepted' }),
  localList: async () => ({ version: 0, entries: [] }),
};

/** A fixed table per tenant (tests of the bridge alone): unknown tags are Invalid. */
export class InMemoryIdTagAuthority implements IdTagAuthority {
  private readonly tags = new Map<string, Map<string, IdTagAnswer>>();
  private readonly versions = new Map<string, number>();
  /** Make every call throw (authority unavailable). */
  unavailable = false;

  set(tenantId: string, idTag: string, answer: IdTagAnswer): this {
    const t = this.tags.get(tenantId) ?? new Map<string, IdTagAnswer>();
    t.set(idTag.toUpperCase(), answer);
    this.tags.set(tenantId, t);
    this.versions.set(tenantId, (this.versions.get(tenantId) ?? 0) + 1);
    return this;
  }

  async authorize(tenantId: string, idTag: string): Promise<IdTagAnswer> {
    if (this.unavailable) throw new AppError(ErrorCodes.DEPENDENCY_UNAVAILABLE, 'id-tag authority: unavailable (test)', { retriable: true });
    return this.tags.get(tenantId)?.get(idTag.toUpperCase()) ?? { status: 'Invalid' };
  }

  async localList(tenantId: string): Promise<LocalAuthList> {
    if (this.unavailable) throw new AppError(ErrorCodes.DEPENDENCY_UNAVAILABLE, 'id-tag authority: unavailable (test)', { retriable: true });
    const entries = [...(this.tags.get(tenantId) ?? new Map<string, IdTagAnswer>()).entries()].map(([idTag, a]) => ({
      idTag,
      status: a.status,
      ...(a.expiryDate ? { expiryDate: a.expiryDate } : {}),
      ...(a.parentIdTag ? { parentIdTag: a.parentIdTag } : {}),
    }));
    return { version: this.versions.get(tenantId) ?? 0, entries };
  }
}

export const AUTHORIZE_ID_TAG_QUERY =
  'query($tenantId: ID!, $idTag: String!, $stationId: ID) { authorizeIdTag(tenantId: $tenantId, idTag: $idTag, stationId: $stationId) { status expiryDate parentIdTag userId } }';
export const LOCAL_AUTH_LIST_QUERY = 'query($tenantId: ID!) { localAuthList(tenantId: $tenantId) { version entries { idTag status expiryDate parentIdTag } } }';

const Status = z.enum(['Accepted', 'Blocked', 'Expired', 'Invalid', 'ConcurrentTx']);
const AuthorizeAnswer = z.object({
  authorizeIdTag: z.object({ status: Status, expiryDate: z.string().nullable(), parentIdTag: z.string().nullable(), userId: z.string().uuid().nullable() }),
});
const ListAnswer = z.object({
  localAuthList: z.object({
    version: z.number().int().min(0),
    entries: z.array(z.object({ idTag: z.string(), status: Status, expiryDate: z.string().nullable(), parentIdTag: z.string().nullable() })),
  }),
});

export interface GraphQLIdTagAuthorityOptions {
  /** How long an answer is reused: short, so a blocked card stops within seconds. */
  ttlMs?: number;
  maxEntries?: number;
  now?: () => number;
}

/**
 * The tenants subgraph's authority over GraphQL with a service identity (its
 * own URL: authorizeIdTag is @inaccessible through the router). Answers are
 * cached briefly (5 s) and concurrent lookups of one tag share one request — a
 * charger sends Authorize and then StartTransaction for the same tag within a
 * second. Failures are never cached.
 */
export class GraphQLIdTagAuthority implements IdTagAuthority {
  private readonly cache = new Map<string, { value: IdTagAnswer; expiresAt: number }>();
  private readonly inFlight = new Map<string, Promise<IdTagAnswer>>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(
    private readonly tenants: ServiceGraphQLClient,
    opts: GraphQLIdTagAuthorityOptions = {},
  ) {
    this.ttlMs = opts.ttlMs ?? 5_000;
    this.maxEntries = opts.maxEntries ?? 50_000;
    this.now = opts.now ?? Date.now;
  }

  /** Drop what is cached of a tenant's tags (they changed). */
  forget(tenantId: string): void {
    for (const k of this.cache.keys()) if (k.startsWith(`${tenantId}|`)) this.cache.delete(k);
  }

  async authorize(tenantId: string, idTag: string, stationId?: string): Promise<IdTagAnswer> {
    const key = `${tenantId}|${stationId ?? ''}|${idTag.toUpperCase()}`;
    const cached = this.cache.get(key);
    if (cached && cached.expiresAt > this.now()) return cached.value;
    if (cached) this.cache.delete(key);
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.lookup(tenantId, idTag, stationId)
        .then((value) => {
          if (this.cache.size >= this.maxEntries) {
            const oldest = this.cache.keys().next();
            if (!oldest.done) this.cache.delete(oldest.value);
          }
          this.cache.set(key, { value, expiresAt: this.now() + this.ttlMs });
          return value;
        })
        .finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  async localList(tenantId: string): Promise<LocalAuthList> {
    const parsed = ListAnswer.safeParse(await this.ask(LOCAL_AUTH_LIST_QUERY, { tenantId }));
    if (!parsed.success) throw unavailable('an answer of an unexpected shape');
    const l = parsed.data.localAuthList;
    return {
      version: l.version,
      entries: l.entries.map((e) => ({
        idTag: e.idTag,
        status: e.status,
        ...(e.expiryDate ? { expiryDate: e.expiryDate } : {}),
        ...(e.parentIdTag ? { parentIdTag: e.parentIdTag } : {}),
      })),
    };
  }

  private async lookup(tenantId: string, idTag: string, stationId?: string): Promise<IdTagAnswer> {
    const parsed = AuthorizeAnswer.safeParse(await this.ask(AUTHORIZE_ID_TAG_QUERY, { tenantId, idTag, stationId: stationId ?? null }));
    if (!parsed.success) throw unavailable('an answer of an unexpected shape');
    const a = parsed.data.authorizeIdTag;
    return {
      status: a.status,
      ...(a.expiryDate ? { expiryDate: a.expiryDate } : {}),
      ...(a.parentIdTag ? { parentIdTag: a.parentIdTag } : {}),
      ...(a.userId ? { userId: a.userId } : {}),
    };
  }

  private async ask(query: string, variables: Record<string, unknown>): Promise<unknown> {
    try {
      return await this.tenants.request<unknown>(query, variables);
    } catch (e) {
      // Whatever went wrong, the answer is unknown, not "Invalid".
      throw unavailable(isAppError(e) ? `${e.code}: ${e.message}` : String(e), e);
    }
  }
}

function unavailable(message: string, cause?: unknown): AppError {
  return new AppError(ErrorCodes.DEPENDENCY_UNAVAILABLE, `id-tag authority: ${message}`, { retriable: true, cause });
}

/** OCPP IdTagInfo from an answer (the user id stays with the platform). */
export function idTagInfo(a: IdTagAnswer): { status: AuthorizationStatus; expiryDate?: string; parentIdTag?: string } {
  return { status: a.status, ...(a.expiryDate ? { expiryDate: a.expiryDate } : {}), ...(a.parentIdTag ? { parentIdTag: a.parentIdTag } : {}) };
}
