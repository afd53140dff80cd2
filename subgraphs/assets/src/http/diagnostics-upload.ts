import type http from 'node:http';
import { sendJson, type Logger } from '@evcs/platform';
import { DIAGNOSTICS_MAX_BYTES, type DiagnosticsUploads } from '../domain/diagnostics';

/** Where chargers upload: `PUT|POST /diagnostics/<uploadId>/<token>`. */
export const DIAGNOSTICS_UPLOAD_PREFIX = '/diagnostics/';

class TooLarge extends Error {}

/** The body as bytes, refusing more than `limit` (TooLarge, as soon as it is exceeded). */
function readLimited(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        // keep draining, unread, so the client sees the answer rather than a reset
        req.resume();
        reject(new TooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** `filename` of a Content-Disposition header, if any (the charger's own name for the file). */
function fileNameOf(req: http.IncomingMessage): string | null {
  const cd = req.headers['content-disposition'];
  const m = typeof cd === 'string' ? /filename="?([^";]+)"?/i.exec(cd) : null;
  return m ? m[1] : null;
}

function tooLarge(res: http.ServerResponse): void {
  res.setHeader('connection', 'close');
  sendJson(res, 413, { code: 'DIAGNOSTICS_TOO_LARGE', message: `at most ${DIAGNOSTICS_MAX_BYTES} bytes` });
}

/**
 * The upload endpoint. The URL is the credential (its token is checked before the body is
 * read); the body is the file as is (no multipart), at most DIAGNOSTICS_MAX_BYTES. Answers:
 * 201 with size and sha256; 404 unknown upload or wrong token; 409 already uploaded or expired;
 * 413 too large. The token is never logged.
 */
export function diagnosticsUploadRoute(uploads: DiagnosticsUploads, logger: Logger) {
  return {
    prefix: DIAGNOSTICS_UPLOAD_PREFIX,
    methods: ['PUT', 'POST'] as const,
    async handle(req: http.IncomingMessage, res: http.ServerResponse, segments: string[]): Promise<void> {
      const [uploadId, token] = segments.length === 2 ? segments : ['', ''];
      const admitted = await uploads.admit(uploadId, token);
      if (!admitted.ok) {
        req.resume();
        return sendJson(res, admitted.refusal.status, { code: admitted.refusal.code });
      }
      if (Number(req.headers['content-length'] ?? 0) > DIAGNOSTICS_MAX_BYTES) {
        req.resume();
        return tooLarge(res);
      }
      let content: Buffer;
      try {
        content = await readLimited(req, DIAGNOSTICS_MAX_BYTES);
      } catch (e) {
        if (e instanceof TooLarge) return tooLarge(res);
        throw e;
      }
      const r = await uploads.receive(admitted.tenantId, uploadId, fileNameOf(req), content);
      if (!r.ok) return sendJson(res, r.refusal.status, { code: r.refusal.code });
      logger.info({ uploadId, tenantId: admitted.tenantId, chargerId: r.file.chargerId, size: r.file.size }, 'diagnostics file received');
      sendJson(res, 201, { id: r.file.id, size: r.file.size, sha256: r.file.sha256 });
    },
  };
}
