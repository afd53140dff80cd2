import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { DependencyGuard } from '@evcs/platform';
import { BufferedResponse, guardedFetcher, keepAliveFetcher } from '../src/gateway';

/** The router's subgraph fetcher over a real HTTP server: reuse of connections, bodies, statuses, timeouts. */
describe('keepAliveFetcher', () => {
  let server: http.Server;
  let url: string;
  const sockets = new Set<unknown>();
  const agents = { http: new http.Agent({ keepAlive: true, maxSockets: 4 }), https: new https.Agent({ keepAlive: true }) };

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      sockets.add(req.socket);
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        if (req.url === '/slow') return void setTimeout(() => res.end('late'), 2_000).unref();
        if (req.url === '/error') {
          res.writeHead(503, 'Service Unavailable', { 'content-type': 'text/plain' });
          return void res.end('down');
        }
        res.writeHead(200, { 'content-type': 'application/json', 'x-multi': ['a', 'b'] });
        res.end(JSON.stringify({ echo: body, auth: req.headers.authorization ?? null }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    agents.http.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('posts the body with headers and answers a readable JSON response; sequential requests reuse one connection', async () => {
    const fetcher = keepAliveFetcher(agents, 5_000);
    for (let i = 0; i < 5; i++) {
      const res = await fetcher(`${url}/graphql`, {
        method: 'POST',
        headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
        body: `{"n":${i}}`,
      });
      expect(res.ok).toBe(true);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(res.headers.get('x-multi')).toBe('a, b');
      expect(await res.json()).toEqual({ echo: `{"n":${i}}`, auth: 'Bearer t' });
    }
    expect(sockets.size).toBe(1);
  });

  it('a non-2xx answer keeps its status, text and url', async () => {
    const res = await keepAliveFetcher(agents, 5_000)(`${url}/error`, { method: 'POST', body: '{}' });
    expect({ ok: res.ok, status: res.status, statusText: res.statusText, url: res.url }).toEqual({
      ok: false,
      status: 503,
      statusText: 'Service Unavailable',
      url: `${url}/error`,
    });
    expect(await res.text()).toBe('down');
  });

  it('a subgraph slower than the timeout fails the request', async () => {
    await expect(keepAliveFetcher(agents, 200)(`${url}/slow`, { method: 'POST', body: '{}' })).rejects.toThrow(/timed out after 200 ms/);
  });
});

describe('BufferedResponse', () => {
  const make = (status = 200, body = '{"a":1}') =>
    new BufferedResponse('http://x/graphql', status, 'OK', new Headers({ 'content-type': 'application/json' }), Buffer.from(body));

  it('ok for 2xx only', () => {
    expect([199, 200, 204, 299, 300, 404, 500].map((s) => make(s).ok)).toEqual([false, true, true, true, false, false, false]);
  });

  it('a body is read once, like fetch; a clone reads it again', async () => {
    const r = make();
    const copy = r.clone();
    expect(await r.json()).toEqual({ a: 1 });
    expect(r.bodyUsed).toBe(true);
    await expect(r.text()).rejects.toThrow(/already been used/);
    expect(() => r.clone()).toThrow(/already been used/);
    expect(new TextDecoder().decode(await copy.arrayBuffer())).toBe('{"a":1}');
  });
});

/** The router's subgraph calls through their DependencyGuard, against a real subgraph that stalls. */
describe('guardedFetcher', () => {
  let server: http.Server;
  let url: string;
  let requests = 0;
  const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };

  beforeAll(async () => {
    // accepts every request and never answers
    server = http.createServer((req) => {
      requests++;
      req.resume();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });
  afterAll(async () => {
    agents.http.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('gives up on a stalled subgraph at the deadline, then fails fast without calling it while the circuit is open', async () => {
    const guard = new DependencyGuard({ name: 'the stalled service', timeoutMs: 300, failuresToOpen: 2, halfOpenAfterMs: 600_000 });
    // the socket timeout is far later: the deadline is the guard's
    const fetcher = guardedFetcher(keepAliveFetcher(agents, 60_000), guard);
    for (let i = 0; i < 2; i++) {
      await expect(fetcher(url, { method: 'POST', body: '{}' })).rejects.toMatchObject({
        code: 'DEPENDENCY_UNAVAILABLE',
        message: expect.stringMatching(/within 300 ms/),
      });
    }
    expect(requests).toBe(2);
    await expect(fetcher(url, { method: 'POST', body: '{}' })).rejects.toMatchObject({
      code: 'DEPENDENCY_UNAVAILABLE',
      message: expect.stringMatching(/circuit open/),
    });
    expect(requests).toBe(2);
    expect(guard.state).toBe('open');
  });
});
