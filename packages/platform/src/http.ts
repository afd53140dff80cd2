import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { ApolloServer, BaseContext, HeaderMap, HTTPGraphQLRequest } from '@apollo/server';

/**
 * Normalise a request path for allowlist matching. Anything that isn't a plain,
 * canonical path (dot segments, encoded separators, doubled slashes, trailing
 * dots or slashes, odd case) is returned as null so it can never match an
 * allowlisted path by accident.
 */
export function canonicalPath(rawUrl: string | undefined): string | null {
  if (!rawUrl) return null;
  const q = rawUrl.indexOf('?');
  const path = q === -1 ? rawUrl : rawUrl.slice(0, q);
  // Only plain lowercase path characters: no percent-encoding, backslashes, NULs or case games.
  if (!/^\/[a-z0-9._\-/]*$/.test(path)) return null;
  if (path === '/') return path;
  // no empty, dot or dot-dot segments, nothing ending in a dot or a slash
  const segments = path.slice(1).split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..' || s.endsWith('.'))) return null;
  return path;
}

export function readBody(req: http.IncomingMessage, limitBytes = 1_000_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limitBytes) {
        reject(Object.assign(new Error('request body too large'), { status: 413 }));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

/** Parse a JSON request body; `undefined` for an empty body, a 400-style error for bad JSON. */
export async function readJsonBody(req: http.IncomingMessage): Promise<unknown> {
  if (req.method !== 'POST') return undefined;
  const raw = await readBody(req);
  if (!raw) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    throw Object.assign(new Error('Request body is not valid JSON'), { status: 400, code: 'BAD_REQUEST' });
  }
}

/** Answer an HTTP error for a failure that happened before GraphQL execution. */
export function sendHttpError(res: http.ServerResponse, e: unknown): void {
  const err = e as { status?: number; code?: string; message?: string };
  const status = err.status ?? 500;
  const message = status >= 500 ? 'Internal error' : (err.message ?? 'Bad request');
  if (!res.headersSent)
    sendJson(res, status, { errors: [{ message, extensions: { code: err.code ?? (status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST') } }] });
  else res.end();
}

/**
 * A minimal node:http integration for Apollo Server (its documented
 * executeHTTPGraphQLRequest integration API), so factories hand back request
 * handlers and never listen themselves.
 */
export async function executeApollo<C extends BaseContext>(
  server: ApolloServer<C>,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  body: unknown,
  context: C,
): Promise<void> {
  const headers = new HeaderMap();
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  const httpGraphQLRequest: HTTPGraphQLRequest = { method: req.method?.toUpperCase() ?? 'GET', headers, search: url.search, body };
  const result = await server.executeHTTPGraphQLRequest({ httpGraphQLRequest, context: async () => context });
  for (const [k, v] of result.headers) res.setHeader(k, v);
  res.statusCode = result.status ?? 200;
  if (result.body.kind === 'complete') {
    res.end(result.body.string);
  } else {
    for await (const chunk of result.body.asyncIterator) res.write(chunk);
    res.end();
  }
}

/** Listen on `port` (0 for an ephemeral port) and resolve with the bound port. */
export function listen(server: http.Server, port: number, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    });
  });
}

export function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections?.();
  });
}

/** A client-supplied request id if it looks like one (it is echoed in a header and logged), otherwise a fresh one. */
export function requestIdFrom(header: string | string[] | undefined): string {
  const v = Array.isArray(header) ? header[0] : header;
  return v && /^[A-Za-z0-9._:-]{1,128}$/.test(v) ? v : randomUUID();
}
