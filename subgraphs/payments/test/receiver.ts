import http from 'node:http';
import { AddressInfo } from 'node:net';
import type { InboundHttp } from '../src/domain/channel';

/** A stand-in notify endpoint: records what arrives and answers what the test says. */
export async function startReceiver(answer: (msg: InboundHttp) => Promise<{ status: number; body: string }>) {
  const received: InboundHttp[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const msg = { headers: req.headers, rawBody: Buffer.concat(chunks).toString('utf8') };
      received.push(msg);
      answer(msg)
        .then((a) => res.writeHead(a.status).end(a.body))
        .catch(() => res.writeHead(500).end('fail'));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/notify`,
    received,
    stop: () => new Promise<void>((r) => (server.closeAllConnections?.(), server.close(() => r()))),
  };
}
