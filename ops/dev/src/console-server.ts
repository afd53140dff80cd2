import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import path from 'node:path';
import { createProxyServer } from 'http-proxy-3';
import sirv from 'sirv';
import { ErrorCodes } from '@evcs/platform';
import { REPO_ROOT } from '@evcs/testkit';

/** Where `npm run build` puts the console (console/vite.config.ts). */
export const CONSOLE_DIST = path.join(REPO_ROOT, 'console/dist');

export interface ConsoleServer {
  url: string;
  stop(): Promise<void>;
}

const GRAPHQL_PATH = '/graphql';
const isGraphql = (url: string | undefined) => url === GRAPHQL_PATH || (url?.startsWith(`${GRAPHQL_PATH}?`) ?? false);

/**
 * The operator console on the router's origin, as far as the browser is concerned: console/dist
 * as static files (index.html for every other path: the console routes in the browser) and
 * /graphql — HTTP and the graphql-ws upgrade — proxied to the router, which has no CORS. The
 * console keeps its tokens in memory, so nothing here sees more than the router does.
 */
export async function startConsoleServer(opts: { routerUrl: string; port: number; host?: string; dist?: string }): Promise<ConsoleServer> {
  const dist = opts.dist ?? CONSOLE_DIST;
  if (!existsSync(path.join(dist, 'index.html'))) throw new Error(`no console build in ${dist}: run \`npm run build\``);
  const target = new URL(opts.routerUrl).origin;
  const proxy = createProxyServer({ target, xfwd: true, ws: true });
  proxy.on('error', (err: Error, _req: IncomingMessage, res: ServerResponse | Duplex) => {
    if ('writeHead' in res) {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ message: 'the router did not answer', extensions: { code: ErrorCodes.DEPENDENCY_UNAVAILABLE } }] }));
    } else res.destroy(err);
  });
  const files = sirv(dist, {
    single: true,
    // hashed assets are immutable; index.html is revalidated
    setHeaders: (res, pathname) => res.setHeader('cache-control', pathname.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache'),
  });
  const server = createServer((req, res) => {
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
    res.setHeader('x-frame-options', 'DENY');
    if (isGraphql(req.url)) proxy.web(req, res);
    else files(req, res);
  });
  // upgraded sockets are no longer the HTTP server's: closed at stop by hand
  const upgraded = new Set<Duplex>();
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!isGraphql(req.url)) return void socket.destroy();
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    proxy.ws(req, socket, head);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    stop: async () => {
      for (const s of upgraded) s.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      proxy.close();
    },
  };
}
