import { createHash } from 'node:crypto';
import { diagnosticsTokenMatches, isUuid } from '@evcs/platform';

/**
 * Diagnostics files chargers upload (OCPP GetDiagnostics). The command creates the upload (its
 * id and the SHA-256 of its one-time token); the charger PUTs or POSTs the file to
 * `/diagnostics/<uploadId>/<token>` once. The file is kept per charger and tenant, content and
 * digest, readable through the API.
 */

/** Largest diagnostics file taken (beyond: 413). */
export const DIAGNOSTICS_MAX_BYTES = 10 * 1024 * 1024;

export interface DiagnosticsFileRecord {
  id: string;
  chargerId: string;
  fileName: string;
  size: number;
  /** hex */
  sha256: string;
  receivedAt: Date;
}

/** Port implemented by persistence. */
export interface DiagnosticsUploadStore {
  /** The upload by id across tenants (an upload request carries no tenant): null if there is none. */
  target(uploadId: string): Promise<{ tenantId: string; tokenHash: string; open: boolean } | null>;
  /** Store the file if the upload is still open (compare-and-set, in the tenant's transaction); null if it no longer was. */
  receive(tenantId: string, uploadId: string, file: { fileName: string; content: Buffer; sha256: string; at: Date }): Promise<DiagnosticsFileRecord | null>;
}

/** Why an upload is refused, as the HTTP edge answers it. */
export type UploadRefusal = { status: 404; code: 'DIAGNOSTICS_UPLOAD_NOT_FOUND' } | { status: 409; code: 'DIAGNOSTICS_UPLOAD_SPENT' };

const TOKEN = /^[0-9a-f]{64}$/;
const NOT_FOUND: UploadRefusal = { status: 404, code: 'DIAGNOSTICS_UPLOAD_NOT_FOUND' };
const SPENT: UploadRefusal = { status: 409, code: 'DIAGNOSTICS_UPLOAD_SPENT' };

/** A file name as kept: the charger's (its last path segment, printable, ≤ 255) or one made from the upload id. */
export function diagnosticsFileName(given: string | null, uploadId: string): string {
  const base = (given ?? '').split(/[\\/]/).pop() ?? '';
  const clean = base
    .replace(/[^\x20-\x7e]/g, '')
    .trim()
    .slice(0, 255);
  return clean || `diagnostics-${uploadId}`;
}

export class DiagnosticsUploads {
  constructor(
    private readonly store: DiagnosticsUploadStore,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Is this upload URL valid and unused? An unknown upload and a wrong token get the same answer
   * (nothing to learn by guessing); a spent or expired one is 409.
   */
  async admit(uploadId: string, token: string): Promise<{ ok: true; tenantId: string } | { ok: false; refusal: UploadRefusal }> {
    if (!isUuid(uploadId) || !TOKEN.test(token)) return { ok: false, refusal: NOT_FOUND };
    const t = await this.store.target(uploadId);
    if (!t || !diagnosticsTokenMatches(token, t.tokenHash)) return { ok: false, refusal: NOT_FOUND };
    if (!t.open) return { ok: false, refusal: SPENT };
    return { ok: true, tenantId: t.tenantId };
  }

  /** Keep the file (once: a second upload racing this one finds it spent). */
  async receive(
    tenantId: string,
    uploadId: string,
    fileName: string | null,
    content: Buffer,
  ): Promise<{ ok: true; file: DiagnosticsFileRecord } | { ok: false; refusal: UploadRefusal }> {
    const sha256 = createHash('sha256').update(content).digest('hex');
    const file = await this.store.receive(tenantId, uploadId, { fileName: diagnosticsFileName(fileName, uploadId), content, sha256, at: this.now() });
    return file ? { ok: true, file } : { ok: false, refusal: SPENT };
  }
}
