import http from 'node:http';
import { canonicalPath, closeServer, listen } from '../http';
import type { Logger } from '../logger';
import { collectProcessMetrics, metricsRegistry } from './registry';

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/**
 * GET /metrics in the Prometheus text format, on a port of its own: the metrics port is
 * internal (Prometheus reaches it, clients don't), so client traffic never reaches the
 * metrics and the service's public port serves none. Listening on `port` 0 picks a free
 * port, which is logged and returned.
 */
export async function startMetricsServer(opts: { port: number; host?: string; logger: Logger; service: string }): Promise<MetricsServer> {
  collectProcessMetrics();
  const server = http.createServer((req, res) => {
    if (canonicalPath(req.url) !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    metricsRegistry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': metricsRegistry.contentType }).end(text),
      (err: unknown) => {
        opts.logger.warn({ err }, 'collecting metrics failed');
        res.writeHead(500, { 'content-type': 'text/plain' }).end('collecting metrics failed\n');
      },
    );
  });
  const port = await listen(server, opts.port, opts.host);
  opts.logger.info({ metricsPort: port }, `${opts.service} metrics on http://${opts.host ?? '127.0.0.1'}:${port}/metrics`);
  return { port, close: () => closeServer(server) };
}
