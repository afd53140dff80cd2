import { AppError, ErrorCodes, isAppError, type ServiceGraphQLClient } from '@evcs/platform';
import { z } from 'zod';

import type { ChargerDirectory, ChargerRegistration, RegistrationChange } from './ports';

export type ChargerRegistrationEntry = Pick<ChargerRegistration, 'tenantId' | 'chargerId'> & Partial<ChargerRegistration>;

export function registrationOf(e: ChargerRegistrationEntry): ChargerRegistration {
  return {
    securityProfile: e.protocol === 'YKC' ? null : 1,
    credentialHash: null,
    ykcIdentity: null,
    allowedSourceCidrs: [],
    desKeyRef: null,
    allowProfile0Commissioning: false,
    learnYkcIdentityOnFirstLogin: false,
    ...e,
  };
}
/** A fixed map, for tests and demos of the bridge on its own. */
export class InMemoryChargerDirectory implements ChargerDirectory {
  private readonly entries = new Map<string, ChargerRegistration>();

  constructor(entries: Record<string, ChargerRegistrationEntry> | Map<string, ChargerRegistrationEntry> = {}) {
    for (const [code, e] of entries instanceof Map ? entries : Object.entries(entries)) this.entries.set(code, registrationOf(e));
  }

  set(chargePointId: string, registration: ChargerRegistrationEntry): this {
    this.entries.set(chargePointId, registrationOf(registration));
    return this;
  }

  /** Change what is registered for a charger (a rotated password, a learned identity). */
  update(chargePointId: string, change: Partial<ChargerRegistration>): void {
    const e = this.entries.get(chargePointId);
    if (e) this.entries.set(chargePointId, { ...e, ...change });
  }

  delete(chargePointId: string): void {
    this.entries.delete(chargePointId);
  }

  async resolve(chargePointId: string): Promise<ChargerRegistration | null> {
    return this.entries.get(chargePointId) ?? null;
  }
}

export const CHARGER_REGISTRATION_QUERY = `query($code: String!) { chargerRegistration(code: $code) {
  chargerId tenantId stationId protocol securityProfile credentialHash ykcIdentity allowedSourceCidrs desKeyRef
  allowProfile0Commissioning learnYkcIdentityOnFirstLogin credentialRevokedAt } }`;

const Identity = z.object({
  sim: z.string(),
  pileType: z.number().int(),
  guns: z.number().int(),
  network: z.number().int(),
  carrier: z.number().int(),
  protocolVersion: z.number().int().nullish(),
  programVersion: z.string().nullish(),
});

const Answer = z.object({
  chargerRegistration: z
    .object({
      chargerId: z.string().min(1),
      tenantId: z.string().uuid(),
      stationId: z.string().min(1),
      protocol: z.enum(['OCPP16', 'YKC']),
      securityProfile: z.union([z.literal(0), z.literal(1), z.literal(2)]).nullable(),
      credentialHash: z.string().nullable(),
      ykcIdentity: Identity.nullable(),
      allowedSourceCidrs: z.array(z.string()),
      desKeyRef: z.string().nullable(),
      allowProfile0Commissioning: z.boolean(),
      learnYkcIdentityOnFirstLogin: z.boolean(),
      credentialRevokedAt: z.string().nullish(),
    })
    .nullable(),
});

export interface GraphQLChargerDirectoryOptions {
  positiveTtlMs?: number;
  negativeTtlMs?: number;
  /** Bound on cached entries, so a flood of made-up identities cannot grow memory without limit. */
  maxEntries?: number;
  /**
   * The fallback while assets is unavailable (its circuit open, timing out): a registration
   * found at most this long ago is used again rather than refusing a known charger. Default
   * 10 minutes; 0 turns it off.
   */
  staleForMs?: number;
  now?: () => number;
}

interface CacheEntry {
  value: ChargerRegistration | null;
  expiresAt: number;
  /** when assets gave this answer */
  fetchedAt: number;
  /** When `refresh` last asked past the cache for this identity. */
  refreshedAt?: number;
}

const REFRESH_MIN_INTERVAL_MS = 1_000;

/**
 * Resolves chargers through the assets subgraph with a service identity (the
 * client given: the assets subgraph's own URL, since chargerRegistration is
 * @inaccessible through the router; no tenant, the lookup is what finds it).
 * Answers are cached (found: 10 s, not found: 5 s, so a newly registered charger
 * gets in quickly and a changed security setting applies within 10 s), and
 * concurrent lookups of one identity share one request — after a bridge restart
 * thousands of chargers reconnect at once. `refresh` skips the cache (at most
 * once a second per identity, so wrong passwords cannot flood assets): a
 * rotated password works at once. While assets is unavailable, a charger found
 * within `staleForMs` is answered from its last registration (a password rotated
 * during the outage applies when assets is back); unknown ones stay refused.
 *
 * How long a revoked credential can still get in: with asset events (config.assetEventsTopic),
 * until the bridge hears the revocation's charger.changed (the outbox relay's delay, well under a
 * second normally); that event drops the cached copy, so not even the outage fallback answers
 * with the old hash. Without them, up to the positive TTL (10 s) while assets answers.
 */
export class GraphQLChargerDirectory implements ChargerDirectory {
  private readonly cache = new Map<string, CacheEntry>();
  /** The code each cached charger was found under: a renamed charger's old entry is forgotten too. */
  private readonly codeOf = new Map<string, string>();
  private readonly inFlight = new Map<string, Promise<ChargerRegistration | null>>();
  private readonly positiveTtlMs: number;
  private readonly negativeTtlMs: number;
  private readonly maxEntries: number;
  private readonly staleForMs: number;
  private readonly now: () => number;

  constructor(
    private readonly assets: ServiceGraphQLClient,
    opts: GraphQLChargerDirectoryOptions = {},
  ) {
    this.positiveTtlMs = opts.positiveTtlMs ?? 10_000;
    this.negativeTtlMs = opts.negativeTtlMs ?? 5_000;
    this.maxEntries = opts.maxEntries ?? 100_000;
    this.staleForMs = opts.staleForMs ?? 10 * 60_000;
    this.now = opts.now ?? Date.now;
  }

  async resolve(chargePointId: string): Promise<ChargerRegistration | null> {
    const cached = this.cache.get(chargePointId);
    if (cached && cached.expiresAt > this.now()) return cached.value;

    let pending = this.inFlight.get(chargePointId);
    if (!pending) {
      pending = this.lookup(chargePointId).finally(() => this.inFlight.delete(chargePointId));
      this.inFlight.set(chargePointId, pending);
    }
    return pending;
  }

  async refresh(chargePointId: string): Promise<ChargerRegistration | null> {
    const cached = this.cache.get(chargePointId);
    if (cached && (cached.refreshedAt ?? -Infinity) > this.now() - REFRESH_MIN_INTERVAL_MS) return this.resolve(chargePointId);
    // expired rather than dropped: it stays the fallback if assets cannot be asked
    if (cached) cached.expiresAt = 0;
    const value = await this.resolve(chargePointId);
    const entry = this.cache.get(chargePointId);
    if (entry) entry.refreshedAt = this.now();
    return value;
  }

  /**
   * An asset event names a charger: its entries answer no more from the cache (a charger created
   * after its first, refused attempt gets in at its next one, not after the negative TTL; a
   * moved or re-protocolled one is looked up anew). Expired rather than dropped, so they stay the
   * fallback while assets is down; a retired charger's, or one whose credential was revoked, are
   * dropped, so no fallback lets it in.
   */
  forget(change: Pick<RegistrationChange, 'code' | 'chargerId' | 'retired'> & Partial<RegistrationChange>): void {
    const codes = new Set([change.code]);
    const earlier = this.codeOf.get(change.chargerId);
    if (earlier) codes.add(earlier);
    for (const code of codes) {
      const entry = this.cache.get(code);
      if (!entry) continue;
      if (change.retired || change.credentialRevoked) {
        this.cache.delete(code);
        if (entry.value) this.codeOf.delete(entry.value.chargerId);
      } else {
        entry.expiresAt = 0;
        // a refresh right after the change must not be held back by one made before it
        entry.refreshedAt = undefined;
      }
    }
  }

  private async lookup(code: string): Promise<ChargerRegistration | null> {
    let value: ChargerRegistration | null;
    try {
      value = await this.ask(code);
    } catch (e) {
      const last = this.cache.get(code);
      if (last?.value && this.now() - last.fetchedAt <= this.staleForMs) return last.value;
      throw e;
    }
    this.remember(code, value);
    return value;
  }

  private remember(code: string, value: ChargerRegistration | null): void {
    this.drop(code);
    if (this.cache.size >= this.maxEntries) {
      // Maps iterate in insertion order: drop the oldest entry.
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.drop(oldest.value);
    }
    if (value) this.codeOf.set(value.chargerId, code);
    const now = this.now();
    this.cache.set(code, { value, expiresAt: now + (value ? this.positiveTtlMs : this.negativeTtlMs), fetchedAt: now });
  }

  private drop(code: string): void {
    const entry = this.cache.get(code);
    if (entry?.value && this.codeOf.get(entry.value.chargerId) === code) this.codeOf.delete(entry.value.chargerId);
    this.cache.delete(code);
  }

  private async ask(code: string): Promise<z.infer<typeof Answer>['chargerRegistration']> {
    const unavailable = (message: string, cause?: unknown) =>
      new AppError(ErrorCodes.DEPENDENCY_UNAVAILABLE, `charger directory: ${message}`, { retriable: true, cause });
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
