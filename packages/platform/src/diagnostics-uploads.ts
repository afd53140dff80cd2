import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Shortest secret accepted for diagnostics upload tokens (bytes of its UTF-8 form). */
export const DIAGNOSTICS_SECRET_MIN = 32;

/**
 * The one-time token of a diagnostics upload (OCPP GetDiagnostics), 64 lowercase hex digits.
 * Derived, never sent: assets (which issues the upload and stores only the token's hash) and the
 * bridge (which puts it in the GetDiagnostics location for the charger) share `secret`, so the
 * token itself exists only in the OCPP frame to the charger and the charger's upload request.
 */
export function diagnosticsUploadToken(secret: string, uploadId: string): string {
  return createHmac('sha256', secret).update(`evcs-diagnostics-upload:${uploadId}`).digest('hex');
}

/** What is stored of a token: its SHA-256, hex. */
export function diagnosticsTokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Does `token` match the stored hash (constant time)? */
export function diagnosticsTokenMatches(token: string, storedHash: string): boolean {
  const a = Buffer.from(diagnosticsTokenHash(token), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
