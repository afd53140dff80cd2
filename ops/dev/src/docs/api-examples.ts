import { SimulatedChargePoint } from '@evcs/protocol-bridge/dist/src/simulator';
import { registerFleet } from '@evcs/protocol-bridge/dist/src/simulator/register';
import { eventually } from '@evcs/testkit';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

/**
 * The main flows of the API as docs/api/examples.md shows them, run for real: sign in, watch a
 * connector (graphql-ws), start and stop a session at a simulated OCPP charger, read the bill,
 * pay through the Alipay sandbox, refund, list the refunds. `npm run docs:examples` writes what
 * they send and get into the document; test/api-examples.e2e.test.ts runs them again and holds
 * the document to the same requests and the same response shapes.
 */
export const EXAMPLES = {
  login: {
    title: 'Sign in',
    transport: 'http',
    query: /* GraphQL */ `mutation Login($input: LoginInput!) {
  login(input: $input) {
    accessToken
    accessTokenExpiresAt
    refreshToken
    user { id username }
    userErrors { code field message }
  }
}`,
  },
  subscribe: {
    title: 'Watch a connector (graphql-ws)',
    transport: 'graphql-ws',
    query: /* GraphQL */ `subscription ConnectorStatus($chargerCode: String) {
  connectorStatusChanged(chargerCode: $chargerCode) {
    chargerCode
    connectorNo
    status
    occurredAt
    charger { id code station { name } }
  }
}`,
  },
  startCharging: {
    title: 'Start a session',
    transport: 'http',
    query: /* GraphQL */ `mutation Start($input: StartChargingInput!) {
  startCharging(input: $input) {
    order { id state chargerCode connectorNo createdAt }
    userErrors { code field message }
  }
}`,
  },
  stopCharging: {
    title: 'Stop it',
    transport: 'http',
    query: /* GraphQL */ `mutation Stop($orderId: ID!) {
  stopCharging(orderId: $orderId) {
    order { id state }
    userErrors { code field message }
  }
}`,
  },
  bill: {
    title: 'The bill',
    transport: 'http',
    query: /* GraphQL */ `query Bill($id: ID!) {
  order(id: $id) {
    id
    state
    startedAt
    stoppedAt
    energy { wh kwh }
    amount { minor currency formatted }
    bill {
      source
      planVersions
      totalExact
      total { minor currency formatted }
      items { start end energyPrice serviceFee energy { kwh } electricityAmount { formatted } serviceAmount { formatted } }
    }
  }
}`,
  },
  createPayment: {
    title: 'Pay',
    transport: 'http',
    query: /* GraphQL */ `mutation Pay($input: CreatePaymentInput!) {
  createPayment(input: $input) {
    payment { id state channel method outTradeNo amount { minor currency formatted } }
    clientParams { qrCodeUrl }
    userErrors { code field message }
  }
}`,
  },
  payment: {
    title: 'The payment, paid',
    transport: 'http',
    query: /* GraphQL */ `query Payment($id: ID!) {
  payment(id: $id) {
    id
    state
    amount { formatted }
    refundedAmount { formatted }
    paidAt
  }
}`,
  },
  refundPayment: {
    title: 'Refund',
    transport: 'http',
    query: /* GraphQL */ `mutation Refund($input: RefundPaymentInput!) {
  refundPayment(input: $input) {
    refund { id paymentId amount { minor currency formatted } reason state }
    userErrors { code field message }
  }
}`,
  },
  refunds: {
    title: 'The refunds list',
    transport: 'http',
    query: /* GraphQL */ `query Refunds($filter: RefundFilter, $first: Int) {
  refunds(filter: $filter, first: $first) {
    edges { node { id state amount { minor currency formatted } reason createdAt succeededAt payment { id orderId channel } } }
    pageInfo { hasNextPage endCursor }
  }
}`,
  },
} as const;
export type ExampleId = keyof typeof EXAMPLES;

export interface ExampleRun {
  id: ExampleId;
  query: string;
  variables: Record<string, unknown>;
  /** HTTP: the response body; graphql-ws: the first `next` message */
  response: unknown;
}

export interface ExampleTarget {
  routerUrl: string;
  bridgeUrl: string;
  alipaySandboxUrl: string;
  tenantCode: string;
  username: string;
  password: string;
  stationCode: string;
  chargerCode: string;
}

/** A value that differs at every run, or that a document must not show, in place of itself. */
export function redact(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => redact(v));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v, k)]));
  if (typeof value !== 'string') return value;
  if (key === 'password') return '<password>';
  if (key === 'accessToken' || key === 'refreshToken' || key === 'authorization') return `<${key === 'refreshToken' ? 'refresh' : 'access'} token>`;
  return value;
}

/**
 * What a document's response is held to: the same fields, nested alike, with values of the
 * same kinds; enum-like values (states, codes, currencies) exactly; a list by its first item.
 */
export function shapeOf(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.length ? [shapeOf(value[0])] : [];
  if (typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, shapeOf((value as Record<string, unknown>)[k])]),
    );
  }
  if (typeof value === 'string') return /^[A-Z][A-Z0-9_]*$/.test(value) ? value : 'string';
  return typeof value;
}

async function post(url: string, token: string | null, query: string, variables: Record<string, unknown>): Promise<any> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return res.json();
}

/** The first message of a subscription, as graphql-ws delivers it; `trigger` runs until one came. */
async function firstMessage(url: string, token: string, query: string, variables: Record<string, unknown>, trigger: () => Promise<void>): Promise<unknown> {
  const client = createClient({
    url: url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    lazy: false,
  });
  try {
    let first: unknown;
    const done = new Promise<void>((resolve, reject) => {
      client.subscribe(
        { query, variables },
        {
          next: (msg) => {
            first ??= msg;
            resolve();
          },
          error: (e) => reject(new Error(`subscription error: ${JSON.stringify(e)}`)),
          complete: () => undefined,
        },
      );
    });
    // the subscription is in place some time after the socket opens: report until it hears
    await eventually(
      async () => {
        await trigger();
        return first ?? (await Promise.race([done.then(() => first), new Promise((r) => setTimeout(r, 500))]));
      },
      { timeoutMs: 30_000, intervalMs: 0, what: 'a connector status on the subscription' },
    );
    return first;
  } finally {
    await client.dispose();
  }
}

/** Runs every example in order, against a stack whose tenant, user and station exist; what each sent and got. */
export async function runExamples(t: ExampleTarget, opts: { idempotencyKey: (what: string) => string }): Promise<ExampleRun[]> {
  const runs: ExampleRun[] = [];
  const http = async (id: ExampleId, token: string | null, variables: Record<string, unknown>) => {
    const response = await post(t.routerUrl, token, EXAMPLES[id].query, variables);
    runs.push({ id, query: EXAMPLES[id].query, variables, response });
    return response;
  };

  const signedIn = await http('login', null, { input: { tenantCode: t.tenantCode, username: t.username, password: t.password } });
  const token = signedIn.data.login.accessToken as string;

  // Set up, not shown: a charger registered through the API, connected as a simulated OCPP 1.6 charger.
  const { passwords } = await registerFleet({ routerUrl: t.routerUrl, token, stationCode: t.stationCode, ocpp: [t.chargerCode], ykc: [], connectors: 1 });
  const cp = new SimulatedChargePoint({ url: t.bridgeUrl, id: t.chargerCode, password: passwords.get(t.chargerCode) });
  await cp.connect();
  try {
    await cp.boot();
    await cp.status(1, 'Available');
    const subscribeVars = { chargerCode: t.chargerCode };
    const status = await firstMessage(t.routerUrl, token, EXAMPLES.subscribe.query, subscribeVars, () => cp.status(1, 'Preparing'));
    runs.push({ id: 'subscribe', query: EXAMPLES.subscribe.query, variables: subscribeVars, response: status });

    const charger = await post(t.routerUrl, token, /* GraphQL */ `query ExamplesChargerByCode($c: String!) { chargerByCode(code: $c) { id } }`, {
      c: t.chargerCode,
    });
    const chargerId = charger.data.chargerByCode.id as string;
    const started = await http('startCharging', token, { input: { chargerId, connectorNo: 1, idempotencyKey: opts.idempotencyKey('start') } });
    const orderId = started.data.startCharging.order.id as string;
    const orderState = async () =>
      (await post(t.routerUrl, token, /* GraphQL */ `query ExamplesOrderState($id: ID!) { order(id: $id) { state } }`, { id: orderId })).data.order
        .state as string;

    // the charger's side: RemoteStartTransaction arrives, it starts and meters for half an hour
    const remoteStart = await eventually(async () => cp.commandsReceived.find((c) => c.action === 'RemoteStartTransaction'), {
      timeoutMs: 30_000,
      what: 'RemoteStartTransaction at the charger',
    });
    const t0 = new Date(Date.now() - 30 * 60_000);
    const { transactionId } = await cp.startTransaction(1, String(remoteStart.params.idTag), 1_000, t0);
    await cp.status(1, 'Charging');
    await cp.meterValues(1, transactionId, 6_000, new Date(t0.getTime() + 15 * 60_000));
    await eventually(async () => (await orderState()) === 'CHARGING', { timeoutMs: 30_000, what: 'the order CHARGING' });

    await http('stopCharging', token, { orderId });
    await eventually(async () => cp.commandsReceived.find((c) => c.action === 'RemoteStopTransaction'), { timeoutMs: 30_000, what: 'RemoteStopTransaction' });
    await cp.stopTransaction(transactionId, 13_500, { timestamp: new Date(t0.getTime() + 30 * 60_000), reason: 'Remote' });
    await eventually(async () => (await orderState()) === 'TO_PAY', { timeoutMs: 30_000, what: 'the order priced (TO_PAY)' });
    await http('bill', token, { id: orderId });

    // TO_PAY at orders is payable at once: payments asks orders for an order its event has not brought yet
    const vars = { input: { orderId, method: 'ALIPAY_QR', idempotencyKey: opts.idempotencyKey('pay') } };
    const r = await post(t.routerUrl, token, EXAMPLES.createPayment.query, vars);
    if (!r.data?.createPayment?.payment) throw new Error(`createPayment right after TO_PAY: ${JSON.stringify(r.data?.createPayment ?? r.errors)}`);
    const paid = { vars, r };
    runs.push({ id: 'createPayment', query: EXAMPLES.createPayment.query, variables: paid.vars, response: paid.r });
    const payment = paid.r.data.createPayment.payment as { id: string; outTradeNo: string; amount: { minor: number } };
    // the driver pays (the sandbox's control API plays the Alipay app); Alipay notifies payments
    const pay = await fetch(`${t.alipaySandboxUrl}/sandbox/trades/${payment.outTradeNo}/pay`, { method: 'POST' });
    if (pay.status !== 200) throw new Error(`the Alipay sandbox did not pay: ${pay.status}`);
    await eventually(async () => (await orderState()) === 'PAID', { timeoutMs: 30_000, what: 'the order PAID' });
    await http('payment', token, { id: payment.id });

    await http('refundPayment', token, {
      input: {
        paymentId: payment.id,
        amountMinor: payment.amount.minor,
        reason: 'Charger fault reported by the driver',
        idempotencyKey: opts.idempotencyKey('refund'),
      },
    });
    // the refund answered SUCCEEDED: the order says so at once (payments handed it to orders before answering)
    const afterRefund = await orderState();
    if (afterRefund !== 'REFUNDED') throw new Error(`the order reads ${afterRefund} right after its full refund succeeded`);
    // a week back from today's start in Shanghai, with its offset: the API takes instants, never a bare local time
    const weekAgo = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date(Date.now() - 7 * 24 * 3_600_000));
    await http('refunds', token, { filter: { states: ['SUCCEEDED'], channel: 'ALIPAY', from: `${weekAgo}T00:00:00+08:00` }, first: 20 });
    return runs;
  } finally {
    await cp.close().catch(() => undefined);
  }
}
