import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { verifyChargerPassword } from '@evcs/platform';

/** How a presented password fared, and whether scrypt had to run for it. */
export type CredentialCheck =
  | { ok: true; cached: boolean }
  /** `throttled`: refused without scrypt, the charger having used up its failed attempts for now. */
  | { ok: false; cached: boolean; throttled: boolean };

export interface VerifiedCredentialsOptions {
  /** How long a verified password is taken on trust (0: never; every connect runs scrypt). Default 10 minutes. */
  ttlMs?: number;
  /** Chargers remembered at most (least recently admitted forgotten first). Default 100,000. */
  maxEntries?: number;
  /** scrypts running at once; the rest queue. Default: defaultScryptConcurrency(). */
  concurrency?: number;
  /** Failed scrypts a charger may cost per window before unseen passwords are refused unchecked. Default 5. */
  failuresPerWindow?: number;
  /** That window, and how long one wrong password is remembered as wrong. Default 1 minute. */
  failureWindowMs?: number;
  /** The expensive check; the platform's scrypt verification unless a test counts it. */
  verify?: (password: Buffer, hash: string) => Promise<boolean>;
  now?: () => number;
}

/**
 * The default bound on concurrent scrypts: twice the cores, but never the whole libuv pool, which
 * scrypt shares with file and DNS I/O (a storm of 50,000 reconnects must queue here, not there).
 */
export function defaultScryptConcurrency(threadPoolSize = Number(process.env.UV_THREADPOOL_SIZE) || 4): number {
  return Math.max(1, Math.min(2 * availableParallelism(), threadPoolSize - 1));
}

/** At most `limit` tasks at once, the others waiting in arrival order. */
export class Semaphore {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {
    if (!(limit >= 1)) throw new Error('a semaphore needs a limit of at least 1');
  }

  /** Tasks waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  get active(): number {
    return this.running;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await task();
    } finally {
      // the slot passes straight to the next waiter, so `running` never dips and lets a newcomer jump the queue
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

/** A Map used as an LRU: a read moves the key to the end, an insert beyond the bound drops the oldest. */
class BoundedLru<V> {
  private readonly map = new Map<string, V>();

  constructor(private readonly max: number) {}

  get size(): number {
    return this.map.size;
  }

  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v === undefined) return undefined;
    this.map.delete(key);
    this.map.set(key, v);
    return v;
  }

  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string);
  }

  delete(key: string): void {
    this.map.delete(key);
  }
}

interface Verified {
  /** The credential hash the password was checked against: a rotation changes it, and the entry stops matching. */
  hash: string;
  digest: Buffer;
  expiresAt: number;
}

interface Failures {
  windowStart: number;
  count: number;
  /** The last wrong password (digest, with the hash it failed against), so its retries cost nothing. */
  lastWrong?: { hash: string; digest: Buffer };
}

/**
 * OCPP Basic passwords, verified against assets' scrypt hashes at most once per charger and
 * credential for a while. After a bridge restart or a network blip every charger reconnects at
 * once; at ~30 ms of CPU per scrypt, 50,000 of them would hold the process (and libuv's pool) for
 * minutes. So a password that passed is remembered — by its chargerId, the hash it passed against
 * and an HMAC of it under a key that lives only in this process (never the password, and nothing
 * an offline guess could be tested against once the process is gone) — and the next connect with
 * the same password against the same current hash skips scrypt. Anything else runs it: another
 * password, another hash (rotated), a forgotten charger (its asset event: revoked, rotated,
 * retired), an expired entry.
 *
 * Failures are never remembered as success. Wrong passwords cost a charger at most
 * `failuresPerWindow` scrypts per window: the same wrong password retried (a charger left with
 * its old password after a rotation) is answered from memory, and beyond the budget unseen
 * passwords are refused unchecked until the window ends. The price: while someone hammers a
 * charger's identity with guesses, that charger — unless its password is already remembered here
 * — may be refused until the window ends; the alternative, scrypt for every guess, lets one
 * client make every charger's admission wait.
 *
 * Every scrypt goes through one semaphore, so a storm queues here in arrival order instead of
 * filling the thread pool that file and DNS I/O share.
 */
export class VerifiedCredentials {
  private readonly key = randomBytes(32);
  private readonly verified: BoundedLru<Verified>;
  private readonly failures: BoundedLru<Failures>;
  /** Unremembered checks running or queued, per charger: they count against its budget before they fail. */
  private readonly inFlight = new Map<string, number>();
  private readonly ttlMs: number;
  private readonly failuresPerWindow: number;
  private readonly failureWindowMs: number;
  private readonly verify: (password: Buffer, hash: string) => Promise<boolean>;
  private readonly now: () => number;
  readonly scrypts: Semaphore;

  constructor(opts: VerifiedCredentialsOptions = {}) {
    this.ttlMs = opts.ttlMs ?? 600_000;
    const maxEntries = opts.maxEntries ?? 100_000;
    this.verified = new BoundedLru(maxEntries);
    this.failures = new BoundedLru(maxEntries);
    this.failuresPerWindow = opts.failuresPerWindow ?? 5;
    this.failureWindowMs = opts.failureWindowMs ?? 60_000;
    this.verify = opts.verify ?? verifyChargerPassword;
    this.now = opts.now ?? Date.now;
    this.scrypts = new Semaphore(opts.concurrency ?? defaultScryptConcurrency());
  }

  /** Chargers whose verified password is remembered. */
  get size(): number {
    return this.verified.size;
  }

  /** Whether `password` is the one `hash` was made from, for this charger. */
  async check(chargerId: string, password: Buffer, hash: string): Promise<CredentialCheck> {
    const digest = this.digest(chargerId, password);
    const known = this.remembered(chargerId, hash, digest);
    if (known) return known;
    this.inFlight.set(chargerId, (this.inFlight.get(chargerId) ?? 0) + 1);
    let ok: boolean;
    try {
      ok = await this.scrypts.run(() => this.verify(password, hash));
    } finally {
      const n = (this.inFlight.get(chargerId) ?? 1) - 1;
      if (n > 0) this.inFlight.set(chargerId, n);
      else this.inFlight.delete(chargerId);
    }
    if (ok) {
      if (this.ttlMs > 0) this.verified.set(chargerId, { hash, digest, expiresAt: this.now() + this.ttlMs });
      return { ok: true, cached: false };
    }
    // read only now: other attempts of this charger may have failed while this one queued
    const failures = this.failuresOf(chargerId);
    this.failures.set(chargerId, { windowStart: failures?.windowStart ?? this.now(), count: (failures?.count ?? 0) + 1, lastWrong: { hash, digest } });
    return { ok: false, cached: false, throttled: false };
  }

  /** The answer without scrypt, if there is one. */
  private remembered(chargerId: string, hash: string, digest: Buffer): CredentialCheck | undefined {
    const known = this.verified.get(chargerId);
    if (known && known.expiresAt > this.now() && known.hash === hash && timingSafeEqual(known.digest, digest)) return { ok: true, cached: true };
    const failures = this.failuresOf(chargerId);
    if (failures?.lastWrong?.hash === hash && timingSafeEqual(failures.lastWrong.digest, digest)) return { ok: false, cached: true, throttled: false };
    // guesses sent all at once must not all get a scrypt before the first of them has failed
    if ((failures?.count ?? 0) + (this.inFlight.get(chargerId) ?? 0) >= this.failuresPerWindow) return { ok: false, cached: false, throttled: true };
    return undefined;
  }

  /** The charger's failures in the current window. */
  private failuresOf(chargerId: string): Failures | undefined {
    const failures = this.failures.get(chargerId);
    return failures && failures.windowStart > this.now() - this.failureWindowMs ? failures : undefined;
  }

  /** The charger's credential changed (or it is gone): its next connect is verified afresh. */
  forget(chargerId: string): void {
    this.verified.delete(chargerId);
    this.failures.delete(chargerId);
  }

  private digest(chargerId: string, password: Buffer): Buffer {
    return createHmac('sha256', this.key).update(chargerId).update('\u0000').update(password).digest();
  }
}
