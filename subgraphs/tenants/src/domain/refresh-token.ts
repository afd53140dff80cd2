import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

/**
 * Refresh tokens are opaque to clients and look like
 *   <tenant id>.<token id>.<secret>
 * The tenant and token ids let the service find the row inside the tenant's
 * own RLS scope (no cross-tenant lookup); the secret is 32 random bytes. Only
 * the SHA-256 of the whole token is stored.
 */
export interface RefreshTokenParts {
  tenantId: string;
  tokenId: string;
  secret: string;
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const FORMAT = new RegExp(`^(${UUID})\\.(${UUID})\\.([A-Za-z0-9_-]{43})$`);

export function newRefreshToken(tenantId: string): { token: string; tokenId: string; hash: Buffer } {
  const tokenId = randomUUID();
  const token = `${tenantId}.${tokenId}.${randomBytes(32).toString('base64url')}`;
  return { token, tokenId, hash: hashRefreshToken(token) };
}

export function parseRefreshToken(token: string): RefreshTokenParts | null {
  const m = FORMAT.exec(token);
  return m ? { tenantId: m[1], tokenId: m[2], secret: m[3] } : null;
}

export function hashRefreshToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

export function sameHash(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
