import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { dropDatabase } from '@evcs/platform';
import { SimulatedChargePoint } from '@evcs/protocol-bridge/dist/src/simulator';
import { registerFleet } from '@evcs/protocol-bridge/dist/src/simulator/register';
import { eventually, PG_SUPERUSER_URL, uniqueName } from '@evcs/testkit';
import { DemoTenant, Stack, startStack } from '../src/stack';

/** A span as OTLP/JSON carries it (hex ids), with the service that sent it. */
interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
}
const SPAN_KIND = { SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 } as const;

interface OtlpAttribute {
  key: string;
  value: Record<string, unknown>;
}
interface OtlpExport {
  resourceSpans?: Array<{
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: Array<{ spans?: Array<Omit<ReceivedSpan, 'service' | 'attributes'> & { attributes?: OtlpAttribute[] }> }>;
  }>;
}
const attrs = (list: OtlpAttribute[] = []) => Object.fromEntries(list.map((a) => [a.key, Object.values(a.value)[0]]));

/** A real OTLP/HTTP receiver (the JSON encoding the services' exporter sends to /v1/traces). */
async function startOtlpReceiver(): Promise<{ url: string; spans: ReceivedSpan[]; close(): Promise<void> }> {
  const spans: ReceivedSpan[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpExport;
        for (const rs of body.resourceSpans ?? []) {
          const service = String(attrs(rs.resource?.attributes)['service.name']);
          for (const ss of rs.scopeSpans ?? []) for (const s of ss.spans ?? []) spans.push({ ...s, service, attributes: attrs(s.attributes) });
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/**
 * One trace from a client's startCharging to the charger and back: the router, its fetch to
 * orders, orders' SQL, the start command through the outbox and Kafka to the bridge, the bridge's
 * call to the charger, and the command result back in orders' consumer. Every service is a real
 * process exporting OTLP to a receiver here.
 */
describe('end to end: tracing across router, orders, Kafka and the bridge', () => {
  let stack: Stack;
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let cp: SimulatedChargePoint | undefined;
  const database = uniqueName('evcs_e2e_trace');
  const code = `E2E-TRC-${randomUUID().slice(0, 6)}`;
  const tenant: DemoTenant = {
    id: randomUUID(),
    code: uniqueName('op_trace'),
    name: 'Tracing Operator',
    users: [{ username: 'tess', password: 'tess password 1', roles: ['OPERATOR_ADMIN'] }],
    stations: [{ code: 'T-ST-1', name: 'Trace Station', chargers: [{ code, connectors: 1 }] }],
  };

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    stack = await startStack({
      database,
      kafkaNamespace: uniqueName('e2e_trace'),
      ports: 'ephemeral',
      quiet: true,
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '100' },
    });
    await stack.seedTenant(tenant);
  });
  afterAll(async () => {
    await cp?.close().catch(() => undefined);
    await stack?.stop();
    await receiver?.close();
    await dropDatabase(PG_SUPERUSER_URL, database);
  });

  it('startCharging is one trace: router → orders (SQL) → Kafka → bridge → charger → orders consumer', async () => {
    const { accessToken } = await stack.login(tenant.code, 'tess', 'tess password 1');
    const { passwords } = await registerFleet({
      routerUrl: stack.routerUrls[0],
      token: accessToken,
      stationCode: 'T-ST-1',
      ocpp: [code],
      ykc: [],
      connectors: 1,
    });
    cp = new SimulatedChargePoint({ url: stack.bridgeUrl, id: code, password: passwords.get(code) });
    await cp.connect();
    await cp.boot();
    await cp.status(1, 'Available');
    const lookup = await fetch(stack.routerUrls[0], {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
      body: JSON.stringify({ query: 'query($c: String!) { chargerByCode(code: $c) { id } }', variables: { c: code } }),
    });
    const chargerId = ((await lookup.json()) as { data: { chargerByCode: { id: string } } }).data.chargerByCode.id;

    // The client starts the trace (W3C traceparent), so the test knows which trace is its own.
    const traceId = randomBytes(16).toString('hex');
    const clientSpanId = randomBytes(8).toString('hex');
    const requestId = `trace-e2e-${randomUUID()}`;
    const res = await fetch(stack.routerUrls[0], {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${accessToken}`,
        traceparent: `00-${traceId}-${clientSpanId}-01`,
        'x-request-id': requestId,
      },
      body: JSON.stringify({
        query: 'mutation($i: StartChargingInput!) { startCharging(input: $i) { order { id } userErrors { code } } }',
        variables: { i: { chargerId, connectorNo: 1, idempotencyKey: randomUUID() } },
      }),
    });
    expect(res.headers.get('x-request-id')).toBe(requestId);
    const started = (await res.json()) as { data: { startCharging: { userErrors: unknown[] } } };
    expect(started.data.startCharging.userErrors).toEqual([]);
    await eventually(async () => cp!.commandsReceived.find((c) => c.action === 'RemoteStartTransaction'), {
      timeoutMs: 30_000,
      what: 'RemoteStartTransaction',
    });

    const ours = () => receiver.spans.filter((s) => s.traceId === traceId);
    const resultConsumed = () =>
      ours().find((s) => s.service === 'orders' && s.kind === SPAN_KIND.CONSUMER && /charger-events/.test(String(s.attributes['messaging.destination.name'])));
    await eventually(async () => resultConsumed(), { timeoutMs: 30_000, what: 'the command result consumed by orders, in the same trace' });
    // each process exports its spans in its own batches: assets' (it reads the command result too) may come later
    await eventually(async () => ours().some((s) => s.service === 'assets'), { timeoutMs: 30_000, what: "assets' spans of the trace exported" });

    const spans = ours();
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const routerServer = spans.find((s) => s.service === 'router' && s.kind === SPAN_KIND.SERVER);
    expect(routerServer?.parentSpanId).toBe(clientSpanId);
    // the router's call to a subgraph (its rate-limit counters' SQL spans are CLIENT spans too)
    const routerFetch = spans.find((s) => s.service === 'router' && s.kind === SPAN_KIND.CLIENT && s.attributes['db.system'] === undefined);
    const ordersServer = spans.find((s) => s.service === 'orders' && s.kind === SPAN_KIND.SERVER);
    expect(ordersServer?.parentSpanId).toBe(routerFetch?.spanId);
    expect(spans.some((s) => s.service === 'orders' && s.attributes['db.system'] === 'postgresql')).toBe(true);
    const bridgeConsumer = spans.find((s) => s.service === 'protocol-bridge' && s.kind === SPAN_KIND.CONSUMER);
    expect(String(bridgeConsumer?.attributes['messaging.destination.name'])).toMatch(/charger-commands/);
    // the start command's trace context was stored with the outbox row inside orders' request
    expect(byId.get(bridgeConsumer!.parentSpanId!)?.service).toBe('orders');
    // and the command result the bridge published continues it into orders' consumer
    expect(resultConsumed()!.parentSpanId).toBeDefined();
    // assets is in it too: orders looks the charger up there, and assets reads the command result
    expect(new Set(spans.map((s) => s.service))).toEqual(new Set(['router', 'orders', 'assets', 'protocol-bridge']));
  });

  it('a message from a charger starts a trace at the bridge that the consumers continue', async () => {
    await cp!.status(1, 'Preparing');
    const found = await eventually(
      async () => {
        // Any StatusNotification of the charger's: the one at boot may have been consumed in one batch
        // behind another event, whose trace the batch's span continues (the others are only linked).
        const roots = receiver.spans.filter((s) => s.service === 'protocol-bridge' && s.name === 'ocpp StatusNotification' && !s.parentSpanId);
        const traces = roots.map((root) => ({
          root,
          continued: receiver.spans.filter((s) => s.traceId === root.traceId && s.service !== 'protocol-bridge' && s.kind === SPAN_KIND.CONSUMER),
        }));
        // assets applies the status change; orders and the router read the same event
        return traces.find((t) => t.continued.some((s) => s.service === 'assets'));
      },
      { timeoutMs: 30_000, what: 'a consumer span in the trace a StatusNotification started' },
    );
    expect(found.root.kind).toBe(SPAN_KIND.SERVER);
    expect(found.continued.every((s) => s.parentSpanId)).toBe(true);
  });
});
