import { readFileSync, statSync } from 'node:fs';
import type { JSONWebKeySet } from 'jose';
import { AppError, ErrorCodes, importSigningKey, SigningKey, TokenIssuer, type Identity } from '@evcs/platform';
import { Clock, systemClock } from '../domain/clock';
import type { AccessTokenIssuer } from '../domain/ports';

/** Who client access tokens are from and for; the router verifies exactly these. */
export const ACCESS_TOKEN_ISSUER = 'evcs-tenants';
export const ACCESS_TOKEN_AUDIENCE = 'evcs-api';
export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;

/**
 * The signing keys of client access tokens, read from a file of private JWKs
 * (`{"keys": [...]}`; never committed, never logged). The first key signs; every
 * key is published in the JWKS. Rotation without downtime:
 *  1. add the new key second — it is published, verifiers can fetch it;
 *  2. once verifiers have had time to see it, move it first — it signs;
 *  3. once the old key's last tokens have expired (15 minutes), remove it.
 * The file is re-read when it changes (checked at most every `recheckMs`), so
 * no instance restarts.
 */
export class KeyRing {
  private keys: SigningKey[] = [];
  private mtimeMs = -1;
  private checkedAt = 0;

  private constructor(
    private readonly file: string,
    private readonly recheckMs: number,
  ) {}

  static async load(file: string, recheckMs = 5_000): Promise<KeyRing> {
    const ring = new KeyRing(file, recheckMs);
    await ring.reload(true);
    return ring;
  }

  private async reload(force = false): Promise<void> {
    const now = Date.now();
    if (!force && now - this.checkedAt < this.recheckMs) return;
    this.checkedAt = now;
    const { mtimeMs } = statSync(this.file);
    if (!force && mtimeMs === this.mtimeMs) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(this.file, 'utf8'));
    } catch {
      // Half-written during an update: keep the keys we have and look again next time.
      if (!force) return;
      throw new AppError(ErrorCodes.INVALID_CONFIGURATION, `signing keys file is not JSON: ${this.file}`);
    }
    const list = (parsed as { keys?: unknown }).keys;
    if (!Array.isArray(list) || list.length === 0) {
      if (!force) return;
      throw new AppError(ErrorCodes.INVALID_CONFIGURATION, `signing keys file has no keys: ${this.file}`);
    }
    const keys = await Promise.all(list.map((k) => importSigningKey(JSON.stringify(k))));
    if (new Set(keys.map((k) => k.kid)).size !== keys.length) throw new AppError(ErrorCodes.INVALID_CONFIGURATION, 'signing keys must have distinct kids');
    this.keys = keys;
    this.mtimeMs = mtimeMs;
  }

  async active(): Promise<SigningKey> {
    await this.reload().catch(() => undefined);
    return this.keys[0];
  }

  async jwks(): Promise<JSONWebKeySet> {
    await this.reload().catch(() => undefined);
    return { keys: this.keys.map((k) => k.publicJwk) };
  }
}

/** Access tokens signed with the key ring's active key. */
export class KeyRingTokenIssuer implements AccessTokenIssuer {
  /** What TokenIssuer stamps iat and exp with. */
  readonly tokenClock: Clock = systemClock;

  constructor(
    private readonly ring: KeyRing,
    private readonly ttlSeconds = ACCESS_TOKEN_TTL_SECONDS,
  ) {}

  async issue(identity: Identity, opts: { ttlSeconds?: number; notBefore?: number | null } = {}): Promise<{ token: string; expiresAt: Date }> {
    const ttl = opts.ttlSeconds ?? this.ttlSeconds;
    const issuer = new TokenIssuer(await this.ring.active(), ACCESS_TOKEN_ISSUER, ACCESS_TOKEN_AUDIENCE, ttl);
    const token = await issuer.issue(identity, ttl, { notBefore: opts.notBefore ?? undefined });
    // jose writes exp as iat + ttl in whole seconds; this is the same instant to the second.
    return { token, expiresAt: new Date((Math.floor(Date.now() / 1000) + ttl) * 1000) };
  }
}
