import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import { chromium } from 'playwright-core';
import WebSocket from 'ws';
import { encodeOrderEvent, ORDER_EVENTS_TOPIC } from '@evcs/events';
import { dropDatabase, KafkaEventBus, kafkaNames } from '@evcs/platform';
import { SimulatedChargePoint } from '@evcs/protocol-bridge/dist/src/simulator';
import { SimulatedYkcPile } from '@evcs/protocol-bridge/dist/src/simulator/ykc-pile';
import { registerFleet } from '@evcs/protocol-bridge/dist/src/simulator/register';
import { canListen, eventually, freePort, PG_SUPERUSER_URL, REPO_ROOT, uniqueName } from '@evcs/testkit';
import { mintClientToken } from '../src/keys';
import { DemoTenant, Stack, startStack } from '../src/stack';
import { CHROMIUM } from './support/browser';

/**
 * The edge (ops/deploy/edge, Debian's nginx) in front of two routers and the bridge: TLS and
 * HTTP/2, a query, a graphql-ws subscription and an OCPP charger through it, and the sign-in audit
 * recording the client's address — the client connects from 127.0.0.2, nginx from 127.0.0.1, and
 * the routers trust 127.0.0.1 only. A caller reaching a router directly, with a forged
 * X-Forwarded-For, is recorded at its socket's address. The operators' console is served at / by
 * the edge as in production (console/dist, built by `npm run build`), and works in a browser through it.
 * Assets gives chargers the edge's plain-http address for diagnostics uploads, as in production,
 * so a GetDiagnostics file travels charger → edge → assets. The bridge trusts 127.0.0.1 too
 * (BRIDGE_TRUSTED_PROXIES): an OCPP charger through the edge is the address in X-Forwarded-For, a YKC
 * pile the source of the PROXY header nginx's stream sends; a charger reaching the bridge directly is
 * taken at its socket. Payments gives the channels the edge's https address; /notify/ reaches it
 * (an Alipay notification and a WeChat Pay v3 one, each as its sandbox signs and sends it).
 */
const CLIENT_ADDRESS = '127.0.0.2';
const DIRECT_CALLER = '127.0.0.3';

describe('the edge: nginx in front of two routers and the bridge', () => {
  const database = uniqueName('evcs_edge');
  const namespace = uniqueName('edge');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'evcs-edge-'));
  const tenant: DemoTenant = {
    id: randomUUID(),
    code: uniqueName('op_edge'),
    name: 'Edge Operator',
    users: [{ username: 'erin', password: 'erin password 1', roles: ['OPERATOR_ADMIN'] }],
    stations: [{ code: 'EDGE-ST', name: 'Edge Station', chargers: [{ code: 'EDGE-CP1', connectors: 1 }] }],
  };
  let stack: Stack;
  let nginx: ChildProcess | undefined;
  let nginxLog = '';
  let ca = '';
  let httpsUrl = '';
  let ocppUrl = '';
  let plainUrl = '';
  let ykcEdge = { host: '', port: 0 };
  const piles: SimulatedYkcPile[] = [];
  const clients: Client[] = [];
  let cp: SimulatedChargePoint | undefined;

  beforeAll(async () => {
    execFileSync('bash', [path.join(REPO_ROOT, 'ops/deploy/edge/install-nginx.sh')], { stdio: 'inherit' });
    // the edge's ports first: assets is told the plain-http one as its diagnostics upload address
    const [httpsPort, httpPort, ykcPort] = [await freePort(), await freePort(), await freePort()];
    plainUrl = `http://127.0.0.1:${httpPort}`;
    // the edge's certificate first: the pay sandboxes trust it when notifying payments through the edge
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost',
        '-keyout',
        path.join(dir, 'tls.key'),
        '-out',
        path.join(dir, 'tls.crt'),
      ],
      { stdio: 'ignore' },
    );
    ca = readFileSync(path.join(dir, 'tls.crt'), 'utf8');
    stack = await startStack({
      database,
      kafkaNamespace: namespace,
      ports: 'ephemeral',
      quiet: true,
      routers: 2,
      env: { ROUTER_TRUSTED_PROXIES: '127.0.0.1', BRIDGE_TRUSTED_PROXIES: '127.0.0.1' },
      diagnosticsUploadUrl: plainUrl,
      paymentsPublicUrl: `https://localhost:${httpsPort}`,
      paySandboxNotifyCa: ca,
    });
    await stack.seedTenant(tenant);

    const hostPort = (u: string) => new URL(u.replace(/^ws/, 'http')).host;
    const conf = execFileSync('bash', [path.join(REPO_ROOT, 'ops/deploy/edge/render.sh'), path.join(dir, 'conf')], {
      encoding: 'utf8',
      env: {
        ...process.env,
        EDGE_TLS_CERT: path.join(dir, 'tls.crt'),
        EDGE_TLS_KEY: path.join(dir, 'tls.key'),
        EDGE_HTTPS_LISTEN: `127.0.0.1:${httpsPort}`,
        EDGE_HTTP_LISTEN: `127.0.0.1:${httpPort}`,
        EDGE_YKC_LISTEN: `127.0.0.1:${ykcPort}`,
        EDGE_ROUTER_SERVERS: stack.routerUrls.map((u) => `server ${hostPort(u)};`).join(' '),
        EDGE_BRIDGE_SERVERS: `server ${hostPort(stack.bridgeUrl)};`,
        EDGE_YKC_SERVERS: `server ${stack.ykcAddress.host}:${stack.ykcAddress.port};`,
        EDGE_ASSETS_SERVERS: `server ${hostPort(stack.subgraphUrls.assets)};`,
        EDGE_PAYMENTS_SERVERS: `server ${hostPort(stack.subgraphUrls.payments)};`,
      },
    }).trim();
    execFileSync('nginx', ['-t', '-q', '-p', path.join(dir, 'conf'), '-c', conf, '-e', path.join(dir, 'conf/run/error.log')]);
    nginx = spawn('nginx', ['-p', path.join(dir, 'conf'), '-c', conf, '-e', 'stderr', '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
    nginx.stderr!.on('data', (d: Buffer) => (nginxLog += d.toString()));
    await eventually(async () => !(await canListen(httpsPort)), { timeoutMs: 10_000, what: `nginx listening (${nginxLog})` });
    httpsUrl = `https://localhost:${httpsPort}/graphql`;
    ykcEdge = { host: '127.0.0.1', port: ykcPort };
    ocppUrl = `wss://localhost:${httpsPort}/ocpp`;
  });

  afterAll(async () => {
    await cp?.close().catch(() => undefined);
    await Promise.allSettled(piles.map((p) => p.close()));
    await Promise.all(clients.map(async (c) => c.dispose()));
    nginx?.kill('SIGQUIT');
    await stack?.stop();
    await dropDatabase(PG_SUPERUSER_URL, database);
    rmSync(dir, { recursive: true, force: true });
  });

  /** POST a GraphQL document from `localAddress`, trusting the test's own CA; over HTTP/1.1 (HTTP/2 is checked by ALPN below). */
  function post(url: string, query: string, o: { token?: string; localAddress?: string; headers?: Record<string, string> } = {}) {
    return new Promise<{ status: number; body: any }>((resolve, reject) => {
      const u = new URL(url);
      const body = JSON.stringify({ query });
      const req = (u.protocol === 'https:' ? https : require('node:http')).request(
        url,
        {
          method: 'POST',
          ca,
          localAddress: o.localAddress ?? CLIENT_ADDRESS,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
            ...o.headers,
          },
        },
        (res: import('node:http').IncomingMessage) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  const login = (password: string, o: { url?: string; localAddress?: string; headers?: Record<string, string> } = {}) =>
    post(
      o.url ?? httpsUrl,
      `mutation { login(input: { tenantCode: ${JSON.stringify(tenant.code)}, username: "erin", password: ${JSON.stringify(password)} }) { accessToken userErrors { code } } }`,
      o,
    );

  it('terminates TLS and offers HTTP/2 (ALPN h2)', async () => {
    const alpn = await new Promise<string | false>((resolve, reject) => {
      const s = require('node:tls').connect(
        { host: '127.0.0.1', port: Number(new URL(httpsUrl).port), servername: 'localhost', ca, ALPNProtocols: ['h2', 'http/1.1'] },
        () => {
          resolve(s.alpnProtocol as string | false);
          s.end();
        },
      );
      s.on('error', reject);
    });
    expect(alpn).toBe('h2');
  });

  it('signs in through the edge, and the audit records the client, not nginx nor a forged header; a direct caller is taken at its socket', async () => {
    expect((await login('wrong password 1')).body.data.login.userErrors).toEqual([{ code: 'INVALID_CREDENTIALS' }]);
    // the client claims another address; the edge appends the one it saw, which the router takes
    await login('wrong password 2', { headers: { 'x-forwarded-for': '203.0.113.9' } });
    // past the edge, straight to a router, with a forged header: not from a trusted proxy
    await login('wrong password 3', { url: stack.routerUrls[1], localAddress: DIRECT_CALLER, headers: { 'x-forwarded-for': '203.0.113.10' } });
    const ok = await login('erin password 1');
    expect(ok.status).toBe(200);
    const token = ok.body.data.login.accessToken as string;
    const audit = await post(httpsUrl, '{ auditEvents(filter: { types: ["LOGIN_FAILED", "LOGIN_SUCCEEDED"] }) { edges { node { type ip } } } }', { token });
    const seen = (audit.body.data.auditEvents.edges as { node: { type: string; ip: string } }[]).map((e) => e.node).reverse();
    expect(seen).toEqual([
      { type: 'LOGIN_FAILED', ip: CLIENT_ADDRESS },
      { type: 'LOGIN_FAILED', ip: CLIENT_ADDRESS },
      { type: 'LOGIN_FAILED', ip: DIRECT_CALLER },
      { type: 'LOGIN_SUCCEEDED', ip: CLIENT_ADDRESS },
    ]);
  });

  it('carries a graphql-ws subscription and an OCPP charger (subprotocol, Basic auth) through the edge', async () => {
    const token = (await login('erin password 1')).body.data.login.accessToken as string;
    class EdgeSocket extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols, { ca, localAddress: CLIENT_ADDRESS });
      }
    }
    const received: string[] = [];
    const client = createClient({
      url: httpsUrl.replace(/^https/, 'wss'),
      webSocketImpl: EdgeSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      lazy: false,
    });
    clients.push(client);
    const connected = new Promise<void>((r) => client.on('connected', () => r()));
    client.subscribe<{ connectorStatusChanged: { chargerCode: string; status: string } }>(
      { query: 'subscription { connectorStatusChanged { chargerCode status } }' },
      {
        next: (m) => m.data && received.push(`${m.data.connectorStatusChanged.chargerCode}:${m.data.connectorStatusChanged.status}`),
        error: () => undefined,
        complete: () => undefined,
      },
    );
    await connected;
    await new Promise((r) => setTimeout(r, 300));

    const { passwords } = await registerFleet({ routerUrl: stack.routerUrls[0], token, stationCode: 'EDGE-ST', ocpp: ['EDGE-CP1'], ykc: [], connectors: 1 });
    // a wrong password through the edge is refused by the bridge: the Authorization header got there
    const impostor = new SimulatedChargePoint({ url: ocppUrl, id: 'EDGE-CP1', password: 'not the password', wsOpts: { ca } });
    await expect(impostor.connect()).rejects.toThrow();
    cp = new SimulatedChargePoint({ url: ocppUrl, id: 'EDGE-CP1', password: passwords.get('EDGE-CP1'), wsOpts: { ca, localAddress: CLIENT_ADDRESS } });
    await cp.connect();
    await cp.boot();
    await cp.status(1, 'Preparing');
    await eventually(async () => received.includes('EDGE-CP1:Preparing'), { timeoutMs: 30_000, what: 'status through bridge, Kafka, router and edge' });
    const q = await post(httpsUrl, '{ stations { edges { node { chargers { code online } } } } }', { token });
    expect(q.body.data.stations.edges[0].node.chargers).toEqual([{ code: 'EDGE-CP1', online: true }]);
  });

  it("carries a charger's diagnostics upload through the edge's plain http to assets (a GetDiagnostics round trip)", async () => {
    const token = (await login('erin password 1')).body.data.login.accessToken as string;
    const stations = await post(httpsUrl, '{ stations { edges { node { chargers { id code } } } } }', { token });
    const chargerId = (stations.body.data.stations.edges[0].node.chargers as { id: string }[])[0].id;
    // larger than nginx's buffers, so it is streamed (request buffering off), well under the 10 MiB limit
    cp!.diagnosticsContent = Buffer.from(`diagnostics of EDGE-CP1\n${'d'.repeat(1_500_000)}\n`);
    const r = await post(
      httpsUrl,
      `mutation { getChargerDiagnostics(input: { chargerId: ${JSON.stringify(chargerId)}, idempotencyKey: "edge-${randomUUID()}" }) { command { id } userErrors { code } } }`,
      { token },
    );
    expect(r.body.data.getChargerDiagnostics.userErrors).toEqual([]);
    const view = await eventually(
      async () => {
        const c = (await post(httpsUrl, `{ charger(id: ${JSON.stringify(chargerId)}) { diagnostics { status } diagnosticsFiles { size sha256 } } }`, { token }))
          .body.data.charger;
        return c.diagnostics.status === 'Uploaded' && c.diagnosticsFiles.length > 0 ? c : null;
      },
      { timeoutMs: 30_000, what: 'diagnostics Uploaded through the edge' },
    );
    // the charger was sent to the edge, and assets' own answer (201) came back through it
    expect(cp!.diagnosticsUploads).toEqual([{ location: expect.stringMatching(new RegExp(`^${plainUrl}/diagnostics/[^/]+/[0-9a-f]{64}$`)), status: 201 }]);
    expect(view.diagnosticsFiles).toEqual([{ size: cp!.diagnosticsContent.length, sha256: createHash('sha256').update(cp!.diagnosticsContent).digest('hex') }]);
  });

  /** A request to /diagnostics/… through the edge, over https or plain http; the body's length is declared, `send` bytes of it sent. */
  function upload(base: string, method: string, pathname: string, o: { length?: number; send?: number } = {}) {
    return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
      const u = new URL(pathname, base);
      const headers = o.length === undefined ? {} : { 'content-length': o.length };
      const req = (u.protocol === 'https:' ? https : http).request(u, { method, ca, localAddress: CLIENT_ADDRESS, headers }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      });
      // the edge may answer and close before the body is all sent: that answer is the one wanted
      req.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' || e.code === 'ECONNRESET' ? undefined : reject(e)));
      req.end(o.send ? Buffer.alloc(o.send, 0x61) : undefined);
    });
  }

  it("answers /diagnostics/ uploads with assets' own answer on both listeners; refuses a GET (405) and an oversize body (413) itself", async () => {
    const badToken = `/diagnostics/${randomUUID()}/${'0'.repeat(64)}`;
    for (const base of [httpsUrl, plainUrl])
      for (const method of ['PUT', 'POST']) {
        const r = await upload(base, method, badToken, { length: 5, send: 5 });
        // assets' JSON, with its stable code, not an nginx page
        expect([base, method, r.status, JSON.parse(r.body)]).toEqual([base, method, 404, { code: 'DIAGNOSTICS_UPLOAD_NOT_FOUND' }]);
      }
    for (const base of [httpsUrl, plainUrl]) {
      const r = await upload(base, 'GET', badToken);
      expect([base, r.status, r.headers.allow]).toEqual([base, 405, 'PUT, POST']);
    }
    // one byte over what assets accepts: the edge refuses it on the declared length (an nginx page,
    // not assets' 404 for the bad token), before a byte reaches assets
    const over = await upload(plainUrl, 'PUT', badToken, { length: 10 * 1024 * 1024 + 1, send: 64 * 1024 });
    expect(over.status).toBe(413);
    expect(over.body).toContain('<html>');
    // the orchestrator's probe
    expect((await upload(plainUrl, 'GET', '/healthz')).status).toBe(200);
  });

  it("keeps a charger's own address behind the edge: OCPP by X-Forwarded-For, YKC by the PROXY protocol; a forged one straight to the bridge is not believed", async () => {
    const token = (await login('erin password 1')).body.data.login.accessToken as string;
    const PILE = '20000000000001';
    const { passwords } = await registerFleet({
      routerUrl: stack.routerUrls[0],
      token,
      stationCode: 'EDGE-ST',
      ocpp: ['EDGE-CP2'],
      ykc: [{ pileNo: PILE, guns: 1 }],
      connectors: 1,
    });
    // both may connect from the client's address alone: nginx's own (127.0.0.1) is not in it
    for (const code of ['EDGE-CP2', PILE]) {
      const { chargerByCode } = (await post(httpsUrl, `{ chargerByCode(code: ${JSON.stringify(code)}) { id } }`, { token })).body.data;
      const u = await post(
        httpsUrl,
        `mutation { updateChargerSecurity(chargerId: ${JSON.stringify(chargerByCode.id)}, input: { allowedSourceCidrs: ["${CLIENT_ADDRESS}/32"] }) { userErrors { code } } }`,
        { token },
      );
      expect(u.body.data.updateChargerSecurity.userErrors).toEqual([]);
    }
    const online = async (code: string) =>
      ((await post(httpsUrl, `{ chargerByCode(code: ${JSON.stringify(code)}) { online } }`, { token })).body.data.chargerByCode as { online: boolean }).online;

    // the attack: straight to the bridge, from elsewhere, claiming the client's address
    const forged = new SimulatedChargePoint({
      url: stack.bridgeUrl,
      id: 'EDGE-CP2',
      password: passwords.get('EDGE-CP2'),
      wsOpts: { localAddress: DIRECT_CALLER, headers: { 'x-forwarded-for': CLIENT_ADDRESS } },
    });
    await eventually(
      async () =>
        (await forged.connect().then(
          () => 'connected',
          (e: { code?: number }) => e.code,
        )) === 403,
      {
        timeoutMs: 15_000,
        what: 'a forged X-Forwarded-For refused by the networks rule',
      },
    );
    // through the edge, from the client's address: admitted, since the bridge takes the forwarded address
    const real = new SimulatedChargePoint({ url: ocppUrl, id: 'EDGE-CP2', password: passwords.get('EDGE-CP2'), wsOpts: { ca, localAddress: CLIENT_ADDRESS } });
    await real.connect();
    await real.boot();
    await eventually(() => online('EDGE-CP2'), { timeoutMs: 30_000, what: 'EDGE-CP2 online through the edge' });
    await real.close();

    // YKC: a PROXY header straight to the bridge from a peer that is not the edge closes the connection
    const direct = new SimulatedYkcPile({ ...stack.ykcAddress, pileNo: PILE, guns: 1, localAddress: DIRECT_CALLER, replyTimeoutMs: 1_000 });
    piles.push(direct);
    await direct.connect();
    direct.writeRaw(Buffer.from(`PROXY TCP4 ${CLIENT_ADDRESS} 127.0.0.1 40000 ${stack.ykcAddress.port}\r\n`, 'latin1'));
    await expect(direct.login()).rejects.toThrow();
    // through the edge's stream (nginx sends the PROXY header): admitted from the client's address
    const pile = new SimulatedYkcPile({ ...ykcEdge, pileNo: PILE, guns: 1, localAddress: CLIENT_ADDRESS });
    piles.push(pile);
    await pile.connect();
    expect(await pile.login()).toBe(true);
    await eventually(() => online(PILE), { timeoutMs: 30_000, what: 'the YKC pile online through the edge' });
  });

  /** A completed order of a fresh tenant (order.completed straight onto the bus), and a payment of it by `method` created through the edge. */
  async function paymentThroughTheEdge(method: 'ALIPAY_QR' | 'WECHAT_NATIVE') {
    const tenantId = randomUUID();
    const token = await mintClientToken(stack.keys, {
      subject: 'edge-finance',
      tenantId,
      roles: ['OPERATOR_ADMIN'],
      permissions: ['payment:read', 'order:write'],
    });
    const orderId = randomUUID();
    const bus = new KafkaEventBus({ clientId: uniqueName('edge-pay'), brokers: stack.kafkaBrokers });
    try {
      await bus.publish(kafkaNames(namespace).topic(ORDER_EVENTS_TOPIC), [
        encodeOrderEvent({
          id: randomUUID(),
          type: 'order.completed',
          version: 1,
          tenantId,
          orderId,
          occurredAt: new Date().toISOString(),
          data: { amount: 1234, currency: 'CNY' },
        }),
      ]);
    } finally {
      await bus.close();
    }
    const created = await eventually(
      async () => {
        const r = await post(
          httpsUrl,
          `mutation { createPayment(input: { orderId: ${JSON.stringify(orderId)}, method: ${method}, idempotencyKey: "edge-${randomUUID()}" }) { payment { id outTradeNo } userErrors { code } } }`,
          { token },
        );
        return r.body.data?.createPayment?.payment as { id: string; outTradeNo: string } | null;
      },
      { what: 'the order to become payable', timeoutMs: 60_000, intervalMs: 500 },
    );
    return { token, ...created };
  }

  const accessLog = () => readFileSync(path.join(dir, 'conf/run/access.log'), 'utf8');

  it("a sandbox payment's signed notification reaches payments through the edge (PAYMENTS_PUBLIC_URL) and is accepted", async () => {
    const created = await paymentThroughTheEdge('ALIPAY_QR');
    const paid = await fetch(`${stack.paySandboxes.alipayUrl}/sandbox/trades/${created.outTradeNo}/pay`, { method: 'POST' });
    expect(paid.status).toBe(200);
    await eventually(
      async () =>
        (await post(httpsUrl, `{ payment(id: ${JSON.stringify(created.id)}) { state } }`, { token: created.token })).body.data?.payment?.state === 'SUCCEEDED',
      { what: 'payment succeeded on the notification through the edge', timeoutMs: 30_000 },
    );
    // it came through the edge: nginx logged the sandbox's POST, answered by payments (the payment may
    // have been seen SUCCEEDED by payments' own trade query a moment before the notification landed)
    await eventually(async () => /"POST \/notify\/alipay HTTP\/1\.1" 200 /.test(accessLog()), {
      what: "the sandbox's notification in the edge's access log",
      timeoutMs: 30_000,
    });
  });

  it("a WeChat Pay v3 notification (signed by the sandbox's platform key, resource AES-GCM encrypted) reaches payments through the edge and is applied", async () => {
    const created = await paymentThroughTheEdge('WECHAT_NATIVE');
    const wechat = stack.paySandboxes.wechatPayUrl;
    // the sandbox pays the trade and POSTs TRANSACTION.SUCCESS to the notify_url payments gave it: the edge's https /notify/wechatpay
    const paid = await fetch(`${wechat}/sandbox/trades/${created.outTradeNo}/pay`, { method: 'POST' });
    expect(paid.status).toBe(200);
    const trade = (await paid.json()) as { notifyUrl: string; transactionId: string };
    expect(trade.notifyUrl).toBe(`${new URL(httpsUrl).origin}/notify/wechatpay`);
    // payments acknowledged it (200/204): it verified the Wechatpay-Signature and decrypted the resource
    // (an unverifiable or undecryptable notification is answered 401/400 and retried by the sandbox)
    const notification = await eventually(
      async () => {
        const t = (await (await fetch(`${wechat}/sandbox/trades/${created.outTradeNo}`)).json()) as {
          notifications: { eventType: string; attempts: number; acknowledged: boolean }[];
        };
        return t.notifications.find((n) => n.acknowledged);
      },
      { what: 'the WeChat Pay notification acknowledged by payments through the edge', timeoutMs: 30_000 },
    );
    expect(notification).toMatchObject({ eventType: 'TRANSACTION.SUCCESS', attempts: 1 });
    const payment = (
      await post(httpsUrl, `{ payment(id: ${JSON.stringify(created.id)}) { state channel channelTradeNo paidAt flags } }`, { token: created.token })
    ).body.data.payment;
    expect(payment).toMatchObject({ state: 'SUCCEEDED', channel: 'WECHATPAY', channelTradeNo: trade.transactionId, flags: [] });
    expect(payment.paidAt).not.toBeNull();
    // and it came through the edge: nginx logged the sandbox's POST with payments' answer
    await eventually(async () => /"POST \/notify\/wechatpay HTTP\/1\.1" 20[04] /.test(accessLog()), {
      what: "the WeChat Pay notification in the edge's access log",
      timeoutMs: 30_000,
    });
  });

  it("passes the payment channels' notifications to payments over https; refuses anything but POST (405) and a large body (413) itself", async () => {
    const base = new URL(httpsUrl).origin;
    // unsigned: payments' own refusals (Alipay's `fail`, WeChat Pay's JSON), so the request reached it
    const alipay = await upload(base, 'POST', '/notify/alipay', { length: 5, send: 5 });
    expect([alipay.status, alipay.body]).toEqual([400, 'fail']);
    const wechat = await upload(base, 'POST', '/notify/wechatpay', { length: 5, send: 5 });
    expect([wechat.status, JSON.parse(wechat.body).code]).toEqual([401, 'FAIL']);
    const get = await upload(base, 'GET', '/notify/alipay');
    expect([get.status, get.headers.allow]).toEqual([405, 'POST']);
    const over = await upload(base, 'POST', '/notify/alipay', { length: 64 * 1024 + 1, send: 64 * 1024 + 1 });
    expect(over.status).toBe(413);
    // the plain-http listener has no /notify/: it redirects to https like any other path
    expect((await upload(plainUrl, 'POST', '/notify/alipay', { length: 5, send: 5 })).status).toBe(301);
  });

  /** GET through the edge (HTTP/1.1), with the answer's headers. */
  function get(pathname: string) {
    return new Promise<{ status: number; headers: import('node:http').IncomingHttpHeaders; body: string }>((resolve, reject) => {
      https
        .get(new URL(pathname, httpsUrl), { ca, localAddress: CLIENT_ADDRESS }, (res) => {
          // decoded once whole: a chunk can end inside a multi-byte character
          const chunks: Buffer[] = [];
          res.on('data', (d: Buffer) => chunks.push(d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        })
        .on('error', reject);
    });
  }

  it("serves the console's files: index.html for the console's own paths, hashed bundles cached for good, a missing bundle a 404", async () => {
    const index = readFileSync(path.join(REPO_ROOT, 'console/dist/index.html'), 'utf8');
    for (const p of ['/', '/orders/00000000-0000-4000-8000-000000000000', '/sign-in?next=%2Fchargers']) {
      const r = await get(p);
      expect([p, r.status, r.body]).toEqual([p, 200, index]);
      expect(r.headers['cache-control']).toBe('no-cache');
      expect(r.headers['content-security-policy']).toContain("script-src 'self'");
      expect(r.headers['x-content-type-options']).toBe('nosniff');
    }
    const bundle = /src="(\/assets\/[^"]+\.js)"/.exec(index)?.[1];
    expect(bundle).toBeDefined();
    const js = await get(bundle!);
    expect([js.status, js.headers['content-type'], js.headers['cache-control']]).toEqual([
      200,
      'application/javascript',
      'public, max-age=31536000, immutable',
    ]);
    expect(js.body).toBe(readFileSync(path.join(REPO_ROOT, 'console/dist', bundle!), 'utf8'));
    // a bundle of an older deploy is gone, not answered with index.html (which a browser would run as script)
    expect((await get('/assets/index-gone.js')).status).toBe(404);
  });

  it('the console signs in and shows the dashboard through the edge, its content security policy broken by nothing it loads', async () => {
    execFileSync('bash', [path.join(REPO_ROOT, 'ops/chromium/install.sh')], { stdio: 'inherit', timeout: 900_000 });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--disable-dev-shm-usage'] });
    try {
      // the test's own certificate authority is not the browser's: its certificate errors are ignored, nothing else
      const page = await browser.newPage({ ignoreHTTPSErrors: true });
      const refused: string[] = [];
      page.on('console', (m) => /Content Security Policy/i.test(m.text()) && refused.push(m.text()));
      // what the browser refused under the policy, as the page itself is told (the DOM's own event)
      await page.addInitScript(() => {
        const w = window as unknown as { cspViolations: string[] };
        w.cspViolations = [];
        document.addEventListener('securitypolicyviolation', (e) => w.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
      });
      const socket = page.waitForEvent('websocket', { timeout: 300_000 });
      await page.goto(new URL('/dashboard', httpsUrl).href);
      await page.waitForURL(/\/sign-in/);
      await page.fill('#tenantCode', tenant.code);
      await page.fill('#username', 'erin');
      await page.fill('#password', 'erin password 1');
      await page.click('[data-test=sign-in]');
      await page.waitForURL(/\/dashboard$/);
      // the fleet's counts came over /graphql, and the live subscription over wss, both through the edge
      await page.waitForFunction(() => /\d/.test(document.querySelector('[data-test=count-online] .value')?.textContent ?? ''));
      const ws = await socket;
      expect(ws.url()).toBe(httpsUrl.replace(/^https/, 'wss'));
      expect(ws.isClosed()).toBe(false);
      expect(refused).toEqual([]);
      expect(await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations)).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 900_000);
});
