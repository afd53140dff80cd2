import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { dropDatabase } from '@evcs/platform';
import { SimulatedChargePoint } from '@evcs/protocol-bridge/dist/src/simulator';
import { registerFleet } from '@evcs/protocol-bridge/dist/src/simulator/register';
import { eventually, freePort, PG_SUPERUSER_URL, uniqueName } from '@evcs/testkit';
import { RunningPrometheus, startPrometheus } from '../src/prometheus';
import { DemoTenant, Stack, startStack } from '../src/stack';

interface PromVector {
  status: string;
  data: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
}

/**
 * Metrics end to end: the whole stack as real processes and a real Prometheus (Debian's
 * package) scraping every service's internal metrics port with the project's alert rules. A
 * charging session on a simulated OCPP charger and its payment through the Alipay sandbox
 * move the business counters, read back through Prometheus' query API.
 */
describe('end to end: a real Prometheus scrapes the stack; a session and its payment move the business counters', () => {
  let stack: Stack;
  let prometheus: RunningPrometheus;
  let dataDir: string;
  let cp: SimulatedChargePoint | undefined;
  const database = uniqueName('evcs_e2e_metrics');
  const code = `E2E-MET-${randomUUID().slice(0, 6)}`;
  const tenant: DemoTenant = {
    id: randomUUID(),
    code: uniqueName('op_metrics'),
    name: 'Metrics Operator',
    users: [{ username: 'mia', password: 'mia password 1', roles: ['OPERATOR_ADMIN'] }],
    stations: [{ code: 'M-ST-1', name: 'Metrics Station', chargers: [{ code, connectors: 1 }] }],
  };

  beforeAll(async () => {
    stack = await startStack({ database, kafkaNamespace: uniqueName('e2e_metrics'), ports: 'ephemeral', quiet: true });
    await stack.seedTenant(tenant);
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'evcs-prometheus-'));
    prometheus = await startPrometheus({ dir: dataDir, port: await freePort(), targets: stack.metricsTargets, scrapeInterval: '1s', quiet: true });
  }, 300_000);
  afterAll(async () => {
    await cp?.close().catch(() => undefined);
    await prometheus?.stop();
    await stack?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    await dropDatabase(PG_SUPERUSER_URL, database);
  });

  async function gql(token: string, query: string, variables: Record<string, unknown> = {}) {
    const res = await fetch(stack.routerUrls[0], {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as any;
  }

  /** One number from Prometheus' query API (the sum of the vector), or undefined while it is empty. */
  async function query(promql: string): Promise<number | undefined> {
    const res = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await res.json()) as PromVector;
    expect(body.status).toBe('success');
    return body.data.result.length ? body.data.result.reduce((n, r) => n + Number(r.value[1]), 0) : undefined;
  }
  /** Wait until Prometheus has scraped `promql` at `expected`. */
  const reaches = (promql: string, expected: number) =>
    eventually(async () => ((await query(promql)) === expected ? true : undefined), { timeoutMs: 30_000, what: `${promql} = ${expected}` });

  it('scrapes every service, loads the alert rules, and counts a charged and paid session', async () => {
    // every service is a target Prometheus reaches
    const jobs = Object.keys(stack.metricsTargets);
    await eventually(
      async () => {
        const targets = (await (await fetch(`${prometheus.url}/api/v1/targets`)).json()) as {
          data: { activeTargets: { labels: { job: string }; health: string }[] };
        };
        const up = new Set(targets.data.activeTargets.filter((t) => t.health === 'up').map((t) => t.labels.job));
        return jobs.every((j) => up.has(j)) ? true : undefined;
      },
      { timeoutMs: 30_000, what: 'every service scraped' },
    );
    expect(jobs.sort()).toEqual(['evcs-assets', 'evcs-orders', 'evcs-payments', 'evcs-protocol-bridge', 'evcs-router', 'evcs-tariffs', 'evcs-tenants']);
    const rules = (await (await fetch(`${prometheus.url}/api/v1/rules`)).json()) as {
      data: { groups: { name: string; rules: { name: string; health: string; type: string }[] }[] };
    };
    const evcs = rules.data.groups.find((g) => g.name === 'evcs');
    expect(evcs?.rules.map((r) => r.name).sort()).toEqual([
      'EvcsChargersOffline',
      'EvcsConsumerLagGrowing',
      'EvcsGraphqlErrorRate',
      'EvcsGraphqlLatencyP99',
      'EvcsNewReconciliationDiscrepancies',
      'EvcsOutboxBacklogOld',
      'EvcsPaymentFailureRate',
      'EvcsServiceDown',
    ]);
    expect(evcs?.rules.every((r) => r.type === 'alerting' && r.health !== 'err')).toBe(true);

    // a charger of the fleet comes online: the fleet gauges and the bridge's connections see it
    const { accessToken } = await stack.login(tenant.code, 'mia', 'mia password 1');
    const { passwords } = await registerFleet({
      routerUrl: stack.routerUrls[0],
      token: accessToken,
      stationCode: 'M-ST-1',
      ocpp: [code],
      ykc: [],
      connectors: 1,
    });
    cp = new SimulatedChargePoint({ url: stack.bridgeUrl, id: code, password: passwords.get(code) });
    await cp.connect();
    await cp.boot();
    await cp.status(1, 'Available');
    await reaches('sum(evcs_bridge_connections{protocol="OCPP16"})', 1);
    await reaches('sum(max without (instance) (evcs_chargers_online))', 1);
    await reaches('sum(max without (instance) (evcs_chargers_registered))', 1);
    await reaches('sum(evcs_connectors{status="Available"})', 1);

    // a remote start, a session, a stop: one order created, started, completed
    const chargerId = (await gql(accessToken, 'query($c: String!) { chargerByCode(code: $c) { id } }', { c: code })).data.chargerByCode.id;
    const started = await gql(accessToken, 'mutation($i: StartChargingInput!) { startCharging(input: $i) { order { id } userErrors { code } } }', {
      i: { chargerId, connectorNo: 1, idempotencyKey: `m-${randomUUID()}` },
    });
    expect(started.data.startCharging.userErrors).toEqual([]);
    const orderId = started.data.startCharging.order.id;
    const remoteStart = await eventually(async () => cp!.commandsReceived.find((c) => c.action === 'RemoteStartTransaction'), {
      timeoutMs: 30_000,
      what: 'RemoteStartTransaction at the charger',
    });
    const t0 = new Date(Date.now() - 60 * 60_000);
    const { transactionId } = await cp.startTransaction(1, String(remoteStart.params.idTag), 1000, t0);
    await cp.status(1, 'Charging');
    await reaches('sum(evcs_charging_starts_accepted_total)', 1);
    await reaches('sum(max without (instance) (evcs_chargers_charging))', 1);
    await cp.meterValues(1, transactionId, 6000, new Date(t0.getTime() + 30 * 60_000));
    await cp.stopTransaction(transactionId, 11_000, { timestamp: new Date(t0.getTime() + 60 * 60_000), reason: 'Local' });
    await reaches('sum(evcs_orders_created_total{origin="API"})', 1);
    await reaches('sum(evcs_orders_completed_total)', 1);

    // paid through the Alipay sandbox
    const created = await eventually(
      async () => {
        const r = await gql(
          accessToken,
          'mutation($i: CreatePaymentInput!) { createPayment(input: $i) { payment { id outTradeNo amount { minor } } userErrors { code } } }',
          { i: { orderId, method: 'ALIPAY_QR', idempotencyKey: `pay-${orderId}` } },
        );
        return r.data?.createPayment?.payment ?? null;
      },
      { timeoutMs: 60_000, intervalMs: 500, what: 'the order to be payable at the payments service' },
    );
    expect((await fetch(`${stack.paySandboxes.alipayUrl}/sandbox/trades/${created.outTradeNo}/pay`, { method: 'POST' })).status).toBe(200);
    await reaches('sum(evcs_payments_attempted_total{channel="ALIPAY"})', 1);
    await reaches('sum(evcs_payments_succeeded_total{channel="ALIPAY"})', 1);
    await reaches('sum(evcs_payments_received_minor_units_total{channel="ALIPAY", currency="CNY"})', created.amount.minor);

    // and the technical side of the same work
    expect(await query('sum(evcs_bridge_command_duration_seconds_count{command="session.start", status="ACCEPTED"})')).toBe(1);
    expect(await query('sum(evcs_bridge_messages_total{protocol="OCPP16", action="StartTransaction", result="ok"})')).toBe(1);
    expect(await query('sum(evcs_graphql_operation_duration_seconds_count{job="evcs-router", operation="startCharging", outcome="success"})')).toBe(1);
    expect(await query('sum(evcs_router_subgraph_fetch_duration_seconds_count{subgraph="orders"})')).toBeGreaterThanOrEqual(1);
    expect(await query('sum(evcs_db_statement_duration_seconds_count{job="evcs-orders"})')).toBeGreaterThan(0);
    expect(await query('sum(evcs_kafka_produce_duration_seconds_count{job="evcs-protocol-bridge", outcome="ok"})')).toBeGreaterThan(0);
    expect(await query('count(evcs_kafka_consumer_lag_messages{job="evcs-orders"})')).toBeGreaterThan(0);
    expect(await query('sum(evcs_outbox_pending_messages{job="evcs-orders"})')).toBeDefined();
    expect(await query('max(nodejs_eventloop_lag_p99_seconds{job="evcs-router"})')).toBeDefined();
    // no label carries a charger, order or user id
    const series = (await (await fetch(`${prometheus.url}/api/v1/series?match[]=${encodeURIComponent('{__name__=~"evcs_.*"}')}`)).json()) as {
      data: Record<string, string>[];
    };
    const values = series.data.flatMap((s) => Object.values(s));
    for (const id of [orderId, chargerId, code, tenant.id]) expect(values.filter((v) => v.includes(id))).toEqual([]);
  });
});
