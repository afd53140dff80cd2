import { AppError, ErrorCodes, TokenIssuer } from '@evcs/platform';
import { z } from 'zod';

/** Which tenant and asset a connecting charger belongs to. */
export interface ChargerRegistration {
  tenantId: string;
  /** The asset id of the charger in the assets subgraph (not the identity it connects with). */
  chargerId: string;
}

/**
 * Port: looks up the identity a charger connects with (OCPP chargePointId, YKC
 * pile code). `null` means "not registered" and the connection is refused; a
 * thrown error means "cannot tell right now" (retriable), and the charger is
 * asked to come back later rather than told it is unknown.
 */
export interface ChargerDirectory {
  resolve(chargePointId: string): Promise<ChargerRegistration | null>;
}

/** A fixed map, for tests and demos of the bridge on its own. */
export class InMemoryChargerDirectory implements ChargerDirectory {
  private readonly entries: Map<string, ChargerRegistration>;

  constructor(entries: Record<string, ChargerRegistration> | Map<string, ChargerRegistration> = {}) {
    this.entries = entries instanceof Map ? new Map(entries) : new Map(Object.entries(entries));
  }

  set(chargePointId: string, registration: ChargerRegistration): this {
    this.entries.set(chargePointId, registration);
    return this;
  }

  delete(chargePointId: string): void {
    this.entries.delete(chargePointId);
  }

  async resolve(chargePointId: string): Promise<ChargerRegistration | null> {
    return this.entries.get(chargePointId) ?? null;
  }
}

export const CHARGER_REGISTRATION_QUERY = 'query($code: String!) { chargerRegistration(code: $code) { chargerId tenantId } }';

const GraphQLResponse = z.object({
  data: z
    .object({
      chargerRegistration: z.object({ chargerId: z.string().min(1), tenantId: z.string().uuid() }).nullable(),
    })
    .nullable()
    .optional(),
  errors: z.array(z.object({ message: z.string(), extensions: z.record(z.unknown()).optional() })).optional(),
});

export interface GraphQLChargerDirectoryOptions {
  /** The assets subgraph itself (chargerRegistration is @inaccessible through the router). */
  url: string;
  tokens: TokenIssuer;
  positiveTtlMs?: number;
  negativeTtlMs?: number;
  /** Bound on cached entries, so a flood of made-up identities cannot grow memory without limit. */
  maxEntries?: number;
  timeoutMs?: number;
  fetch?: typeof fetch;
  now?: () => number;
}

interface CacheEntry {
  value: ChargerRegistration | null;
  expiresAt: number;
}

/** Renew a cached service token this long before it expires. */
const TOKEN_RENEW_MARGIN_MS = 10_000;

/**
 * Resolves chargers through the assets subgraph with a service identity.
 * Answers are cached (found: 60 s, not found: 5 s, so a newly registered charger
 * gets in quickly), and concurrent lookups of one identity share one request —
 * after a bridge restart thousands of chargers reconnect at once.
 */
export class GraphQLChargerDirectory implements ChargerDirectory {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly inFlight = new Map<string, Promise<ChargerRegistration | null>>();
  private token?: { value: string; renewAt: number };
  private readonly positiveTtlMs: number;
  private readonly negativeTtlMs: number;
  private readonly maxEntries: number;
  private readonly timeoutMs: number;
  private readonly fetch: typeof fetch;
  private readonly now: () => number;

  constructor(private readonly opts: GraphQLChargerDirectoryOptions) {
    this.positiveTtlMs = opts.positiveTtlMs ?? 60_000;
    this.negativeTtlMs = opts.negativeTtlMs ?? 5_000;
    this.maxEntries = opts.maxEntries ?? 100_000;
    this.timeoutMs = opts.timeoutMs ?? 5_000;
    this.fetch = opts.fetch ?? globalThis.fetch;
    this.now = opts.now ?? Date.now;
  }

  async resolve(chargePointId: string): Promise<ChargerRegistration | null> {
    const cached = this.cache.get(chargePointId);
    if (cached && cached.expiresAt > this.now()) return cached.value;
    if (cached) this.cache.delete(chargePointId);

    let pending = this.inFlight.get(chargePointId);
    if (!pending) {
      pending = this.lookup(chargePointId).finally(() => this.inFlight.delete(chargePointId));
      this.inFlight.set(chargePointId, pending);
    }
    return pending;
  }

  private async lookup(code: string): Promise<ChargerRegistration | null> {
    const res = await this.post(code);
    const value = res ? { tenantId: res.tenantId, chargerId: res.chargerId } : null;
    this.remember(code, value);
    return value;
  }

  private remember(code: string, value: ChargerRegistration | null): void {
    if (this.cache.size >= this.maxEntries) {
      // Maps iterate in insertion order: drop the oldest entry.
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
    this.cache.set(code, { value, expiresAt: this.now() + (value ? this.positiveTtlMs : this.negativeTtlMs) });
  }

  private async serviceToken(): Promise<string> {
    if (this.token && this.token.renewAt > this.now()) return this.token.value;
    const value = await this.opts.tokens.issue({ subject: 'protocol-bridge', kind: 'service', tenantId: null, roles: [], permissions: [] });
    this.token = { value, renewAt: tokenExpiry(value) - TOKEN_RENEW_MARGIN_MS };
    return value;
  }

  private async post(code: string): Promise<{ chargerId: string; tenantId: string } | null> {
    const unavailable = (message: string, cause?: unknown) =>
      new AppError(ErrorCodes.DEPENDENCY_UNAVAILABLE, `charger directory: ${message}`, { retriable: true, cause, details: { url: this.opts.url } });

    let response: Response;
    try {
      response = await this.fetch(this.opts.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          authorization: `Bearer ${await this.serviceToken()}`,
        },
        body: JSON.stringify({ query: CHARGER_REGISTRATION_QUERY, variables: { code } }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      throw unavailable('request failed', e);
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch (e) {
      throw unavailable(`HTTP ${response.status} with a body that is not JSON`, e);
    }
    const parsed = GraphQLResponse.safeParse(body);
    if (!parsed.success) throw unavailable(`HTTP ${response.status} with an unexpected body`);
    const { data, errors } = parsed.data;
    if (errors?.length) {
      // A rejected token or a failing database: the answer is unknown, not "no such charger".
      this.token = undefined;
      throw unavailable(errors.map((e) => `${String(e.extensions?.code ?? 'ERROR')}: ${e.message}`).join('; '));
    }
    if (!response.ok || !data) throw unavailable(`HTTP ${response.status}`);
    return data.chargerRegistration;
  }
}

/** Expiry (ms since epoch) read from a JWT's `exp`; 0 if it has none, so such a token is never reused. */
function tokenExpiry(jwt: string): number {
  try {
    const payload = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof payload.exp === 'number' ? payload.exp * 1000 : 0;
  } catch {
    return 0;
  }
}
