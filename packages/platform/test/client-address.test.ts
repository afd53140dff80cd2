import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { clientAddressResolver } from '../src/client-address';

/** The resolver over a real socket: each request answers with the address the router would audit. */
async function serve(trusted: string[]): Promise<{ url: string; close(): Promise<void> }> {
  const resolve = clientAddressResolver(trusted);
  const server = http.createServer((req, res) => res.end(resolve(req) ?? '-'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return { url, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const ask = async (url: string, xff?: string) => (await fetch(url, { headers: xff ? { 'x-forwarded-for': xff } : {} })).text();

describe('clientAddressResolver', () => {
  it('without trusted proxies: the socket, whatever X-Forwarded-For claims', async () => {
    const s = await serve([]);
    try {
      expect(await ask(s.url)).toBe('127.0.0.1');
      expect(await ask(s.url, '203.0.113.7')).toBe('127.0.0.1');
    } finally {
      await s.close();
    }
  });

  it('from a trusted edge: the first untrusted hop from the right, never what the client wrote left of it', async () => {
    const s = await serve(['127.0.0.0/8']);
    try {
      expect(await ask(s.url, '198.51.100.4')).toBe('198.51.100.4');
      // the client forged 203.0.113.7; the edge appended the address it saw
      expect(await ask(s.url, '203.0.113.7, 198.51.100.4')).toBe('198.51.100.4');
      expect(await ask(s.url)).toBe('127.0.0.1');
    } finally {
      await s.close();
    }
  });

  it('a caller outside the trusted range is taken at its socket', async () => {
    const s = await serve(['10.0.0.0/8']);
    try {
      expect(await ask(s.url, '10.1.2.3')).toBe('127.0.0.1');
    } finally {
      await s.close();
    }
  });
});
