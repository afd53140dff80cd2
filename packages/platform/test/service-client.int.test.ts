import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateSigningKey, ServiceGraphQLClient, TokenIssuer } from '../src';

/**
 * Real HTTP servers that stall: one never answers, one sends its headers and
 * never the body. Every service-to-service call goes through ServiceGraphQLClient's
 * deadline and circuit breaker (DependencyGuard); this is what a stalled callee costs.
 */
describe('ServiceGraphQLClient against a stalled callee (real HTTP)', () => {
  let tokens: TokenIssuer;
  const servers: http.Server[] = [];

  beforeAll(async () => {
    tokens = new TokenIssuer(await generateSigningKey('svc-k'), 'evcs-bridge');
  });
  afterAll(async () => {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });

  /** A server whose handler is `stall`; counts the requests that reached it. */
  async function stalledServer(stall: (res: http.ServerResponse) => void) {
    const seen = { requests: 0 };
    const server = http.createServer((req, res) => {
      seen.requests++;
      req.resume();
      stall(res);
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`, seen };
  }

  const client = (url: string) =>
    new ServiceGraphQLClient({ url, tokens, subject: 'protocol-bridge', timeoutMs: 300, breaker: { failuresToOpen: 2, halfOpenAfterMs: 600_000 } });

  it('gives up on a callee that never answers, then stops calling it (circuit open) until it may be back', async () => {
    const { url, seen } = await stalledServer(() => undefined);
    const c = client(url);
    for (let i = 0; i < 2; i++) {
      await expect(c.request('{ x }', {})).rejects.toMatchObject({
        code: 'DEPENDENCY_UNAVAILABLE',
        retriable: true,
        message: expect.stringMatching(/did not answer within 300 ms/),
      });
    }
    expect(seen.requests).toBe(2);
    expect(c.circuit).toBe('open');
    // refused without reaching the callee
    await expect(c.request('{ x }', {})).rejects.toMatchObject({
      code: 'DEPENDENCY_UNAVAILABLE',
      retriable: true,
      message: expect.stringMatching(/circuit open/),
    });
    expect(seen.requests).toBe(2);
  });

  it('gives up on a callee that sends its headers and stalls the body', async () => {
    const { url, seen } = await stalledServer((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"data":');
    });
    const c = client(url);
    await expect(c.request('{ x }', {})).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', message: expect.stringMatching(/did not answer/) });
    expect(seen.requests).toBe(1);
  });

  it("does not count the callee's own errors against it", async () => {
    const { url } = await stalledServer((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ message: 'no such charger', extensions: { code: 'NOT_FOUND' } }] }));
    });
    const c = client(url);
    for (let i = 0; i < 3; i++) await expect(c.request('{ x }', {})).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(c.circuit).toBe('closed');
  });
});
