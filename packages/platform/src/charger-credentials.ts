import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scryptAsync = promisify(scrypt) as (
  password: Buffer | string,
  salt: Buffer,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

/** scrypt parameters: N=2^14 keeps a check around 30 ms, bounded memory (16 MiB). */
const N = 16384;
const R = 8;
const P = 1;
const KEYLEN = 32;
const MAXMEM = 64 * 1024 * 1024;

/** OCPP 1.6 security whitepaper: the Basic-auth password (AuthorizationKey) is 16 to 40 bytes. */
export const CHARGER_PASSWORD_MIN = 16;
export const CHARGER_PASSWORD_MAX = 40;

/**
 * Hash of a charger's OCPP Basic-auth password (security profiles 1 and 2):
 * `scrypt$N$r$p$<salt b64>$<key b64>`. The assets service stores only this; the
 * bridge verifies against it. OCPP passwords are 16–40 bytes, possibly binary.
 */
export async function hashChargerPassword(password: Buffer | string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, KEYLEN, { N, r: R, p: P, maxmem: MAXMEM });
  return ['scrypt', N, R, P, salt.toString('base64'), key.toString('base64')].join('$');
}

export async function verifyChargerPassword(password: Buffer | string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, saltB64, keyB64] = stored.split('$');
  if (scheme !== 'scrypt' || !saltB64 || !keyB64) return false;
  // Parameters come from our own hashes; bound them anyway so a bad row cannot make a check take minutes.
  if (Number(n) > 1 << 17 || Number(r) > 16 || Number(p) > 4) return false;
  const expected = Buffer.from(keyB64, 'base64');
  const key = await scryptAsync(password, Buffer.from(saltB64, 'base64'), expected.length, { N: Number(n), r: Number(r), p: Number(p), maxmem: MAXMEM });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/**
 * A new charger password: 24 random bytes as base64url, 32 characters, all of
 * them allowed in an OCPP AuthorizationKey and safe to type into a charger's UI.
 */
export function generateChargerPassword(): string {
  return randomBytes(24).toString('base64url');
}
