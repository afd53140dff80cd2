import { AppError, ErrorCodes, isAppError, type ServiceGraphQLClient } from '@evcs/platform';
import { z } from 'zod';

/** Which tenant and asset a connecting charger belongs to. */
export interface ChargerRegistration {
  tenantId: string;
  /** The asset id of the charger in the assets subgraph (not the identity it connects with). */
  chargerId: string;
  /** The station the charger belongs to (per-station policies, e.g. free vending). */
  stationId?: string;
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

export const CHARGER_REGISTRATION_QUERY = 'query($code: String!) { chargerRegistration(code: $code) { chargerId tenantId stationId } }';

const Answer = z.object({ chargerRegistration: z.object({ chargerId: z.string().min(1), tenantId: z.string().uuid(), stationId: z.string().optional() }).nullable() });

export interface GraphQLChargerDirectoryOptions {
  positiveTtlMs?: number;
  negativeTtlMs?: number;
  /** Bound on cached entries, so a flood of made-up identities cannot grow memory without limit. */
  maxEntries?: number;
  now?: () => number;
}

interface CacheEntry {
  value: ChargerRegistration | null;
  expiresAt: number;
}

/**
 * Resolves chargers through the assets subgraph with a service identity (the
 * client given: the assets subgraph's own URL, since chargerRegistration is
 * @inaccessible through the router; no tenant, the lookup is what finds it).
 * Answers are cached (found: 60 s, not found: 5 s, so a newly registered charger
 * gets in quickly), and concurrent lookups of one identity share one request —
 * after a bridge restart thousands of chargers reconnect at once.
 */
export class GraphQLChargerDirectory implements ChargerDirectory {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly inFlight = new Map<string, Promise<ChargerRegistration | null>>();
  private readonly positiveTtlMs: number;
  private readonly negativeTtlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(
    private readonly assets: ServiceGraphQLClient,
    opts: GraphQLChargerDirectoryOptions = {},
  ) {
    this.positiveTtlMs = opts.positiveTtlMs ?? 60_000;
    this.negativeTtlMs = opts.negativeTtlMs ?? 5_000;
    this.maxEntries = opts.maxEntries ?? 100_000;
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
    const res = await this.ask(code);
    const value = res ? { tenantId: res.tenantId, chargerId: res.chargerId, ...(res.stationId ? { stationId: res.stationId } : {}) } : null;
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

  private async ask(code: string): Promise<z.infer<typeof Answer>['chargerRegistration']> {
    const unavailable = (message: string, cause?: unknown) => new AppError(ErrorCodes.DEPENDENCY_UNAVAILABLE, `charger directory: ${message}`, { retriable: true, cause });
    let data: unknown;
    try {
      data = await this.assets.request<unknown>(CHARGER_REGISTRATION_QUERY, { code });
    } catch (e) {
      // Whatever went wrong (a refused token, a failing database), the answer is unknown, not "no such charger".
      throw unavailable(isAppError(e) ? `${e.code}: ${e.message}` : String(e), e);
    }
    const parsed = Answer.safeParse(data);
    if (!parsed.success) throw unavailable('an answer of an unexpected shape');
    return parsed.data.chargerRegistration;
  }
}
