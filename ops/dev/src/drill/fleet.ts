import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { SimulatedChargePoint } from '@evcs/protocol-bridge/dist/src/simulator';

/**
 * The drill's fleet: OCPP chargers that behave like real ones when the central
 * system fails under them. A message the bridge did not answer is sent again,
 * unchanged (OCPP 1.6 §3.3: transaction messages are delivered until answered),
 * over a new connection if the old one died, to the next bridge if this one
 * refuses connections. What the bridge did answer is recorded as acknowledged:
 * the books then look for each of those on Kafka.
 */

/** One message the bridge answered, named the way its event can be found on Kafka (see books.ts). */
export interface Acked {
  chargerCode: string;
  key: string;
}

export interface SessionRecord {
  chargerCode: string;
  chargerId: string;
  orderId?: string;
  transactionId?: number;
  energyWh: number;
  /** StopTransaction was answered: the charger's side of the session is complete */
  completed: boolean;
  paid?: { paymentId: string };
  /** where an incomplete session stopped, and why */
  failure?: string;
  startedAt: number;
  finishedAt?: number;
}

/** GraphQL through the routers, moving to the next router when one does not answer. */
export class DrillApi {
  private current = 0;

  constructor(
    private readonly routerUrls: string[],
    private readonly token: () => string,
  ) {}

  async gql(query: string, variables: Record<string, unknown> = {}): Promise<any> {
    const url = this.routerUrls[this.current % this.routerUrls.length];
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token()}` },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(15_000),
      });
      if (res.status >= 500 && res.status !== 503) throw new Error(`HTTP ${res.status}`);
      const body = (await res.json()) as any;
      if (body.errors?.length && !body.data) throw new Error(`${body.errors[0].extensions?.code ?? 'ERROR'}: ${body.errors[0].message}`);
      if (body.errors?.length) throw new Error(`${body.errors[0].extensions?.code ?? 'ERROR'}: ${body.errors[0].message}`);
      return body.data;
    } catch (e) {
      this.current++;
      throw e;
    }
  }

  /** Retry a call (same variables, so the same idempotency key) until it answers or the deadline passes. */
  async retrying<T>(what: string, call: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
      try {
        const v = await call();
        if (v !== undefined) return v;
      } catch (e) {
        last = e;
      }
      if (Date.now() > deadline) throw new Error(`${what}: no answer in ${timeoutMs} ms${last ? ` (${String(last)})` : ''}`);
      await sleep(500);
    }
  }
}

const DEADLINE_MS = 90_000;

export class DrillCharger {
  private cp?: SimulatedChargePoint;
  private urlIndex = 0;
  private seen = 0;
  /** commands the central system sent, over every connection */
  readonly commands: { action: string; params: Record<string, unknown> }[] = [];
  meterWh = 1000 + Math.floor(Math.random() * 100_000);
  reconnects = 0;

  constructor(
    readonly code: string,
    readonly chargerId: string,
    private readonly password: string | undefined,
    private readonly bridgeUrls: string[],
    private readonly acked: Acked[],
  ) {}

  private async open(): Promise<SimulatedChargePoint> {
    if (this.cp?.isOpen) return this.cp;
    if (this.cp) this.reconnects++;
    await this.cp?.close().catch(() => undefined);
    this.cp = undefined;
    const cp = new SimulatedChargePoint({
      url: this.bridgeUrls[this.urlIndex % this.bridgeUrls.length],
      id: this.code,
      password: this.password,
      callTimeoutMs: 10_000,
    });
    const answer = cp.respond;
    cp.respond = (action, params) => {
      this.commands.push({ action, params });
      return answer(action, params);
    };
    try {
      await cp.connect();
      const boot = await cp.boot();
      if (boot.status !== 'Accepted') throw new Error(`boot ${boot.status}`);
    } catch (e) {
      await cp.close().catch(() => undefined);
      // refused or unreachable: the next bridge, as a charger with a list of central system addresses would
      this.urlIndex++;
      throw e;
    }
    this.cp = cp;
    return cp;
  }

  /** Send until answered (or the deadline), recording the answer as acknowledged under `key`. */
  async send<T>(key: string, call: (cp: SimulatedChargePoint) => Promise<T>): Promise<T> {
    const deadline = Date.now() + DEADLINE_MS;
    let last: unknown;
    while (Date.now() < deadline) {
      try {
        const cp = await this.open();
        const v = await call(cp);
        this.acked.push({ chargerCode: this.code, key });
        return v;
      } catch (e) {
        last = e;
        await sleep(500);
      }
    }
    throw new Error(`${this.code} ${key}: not answered in ${DEADLINE_MS} ms (${String(last)})`);
  }

  async connect(): Promise<void> {
    await this.send('connect', async () => undefined);
    this.acked.pop();
    await this.status('Available');
  }

  async status(status: 'Available' | 'Preparing' | 'Charging' | 'Finishing'): Promise<void> {
    const at = new Date().toISOString();
    await this.send(`status|1|${status}|${at}`, (cp) => cp.status(1, status, { timestamp: new Date(at) }));
  }

  /** The next command of this kind the central system sent, waiting up to `timeoutMs`. */
  async command(action: string, timeoutMs: number): Promise<Record<string, unknown> | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const i = this.commands.findIndex((c, n) => n >= this.seen && c.action === action);
      if (i >= 0) {
        this.seen = i + 1;
        return this.commands[i].params;
      }
      await sleep(100);
    }
    return undefined;
  }

  async close(): Promise<void> {
    await this.cp?.close().catch(() => undefined);
  }
}

export interface SessionOptions {
  pay: boolean;
  alipayUrl: string;
}

/**
 * One whole session as a driver and a charger do it: startCharging through the
 * router, RemoteStartTransaction at the charger, StartTransaction, meter values,
 * stopCharging, RemoteStopTransaction, StopTransaction — and, if asked, the bill
 * paid through the Alipay sandbox.
 */
export async function runSession(api: DrillApi, ch: DrillCharger, opts: SessionOptions): Promise<SessionRecord> {
  const rec: SessionRecord = { chargerCode: ch.code, chargerId: ch.chargerId, energyWh: 0, completed: false, startedAt: Date.now() };
  try {
    const input = { chargerId: ch.chargerId, connectorNo: 1, idempotencyKey: `drill-${randomUUID()}` };
    const started = await api.retrying(
      'startCharging',
      async () =>
        (
          await api.gql(
            /* GraphQL */ `mutation DrillStartCharging($i: StartChargingInput!) { startCharging(input: $i) { order { id } userErrors { code message } } }`,
            {
              i: input,
            },
          )
        ).startCharging,
      DEADLINE_MS,
    );
    if (!started.order) throw new Error(`startCharging refused: ${JSON.stringify(started.userErrors)}`);
    rec.orderId = started.order.id as string;
    const remoteStart = await ch.command('RemoteStartTransaction', DEADLINE_MS);
    if (!remoteStart) throw new Error('no RemoteStartTransaction');
    const meterStart = ch.meterWh;
    const startAt = new Date().toISOString();
    const conf = await ch.send(`started|${startAt}`, (cp) => cp.startTransaction(1, String(remoteStart.idTag), meterStart, new Date(startAt)));
    rec.transactionId = conf.transactionId;
    const tx = conf.transactionId;
    await ch.status('Charging');
    for (let i = 0; i < 2; i++) {
      ch.meterWh += 500 + Math.floor(Math.random() * 2000);
      const at = new Date().toISOString();
      const wh = ch.meterWh;
      await ch.send(`meter|${tx}|${at}`, (cp) => cp.meterValues(1, tx, wh, new Date(at)));
    }
    await api.retrying(
      'order CHARGING',
      async () =>
        (await api.gql(/* GraphQL */ `query DrillOrderState($id: ID!) { order(id: $id) { state } }`, { id: rec.orderId })).order?.state === 'CHARGING'
          ? true
          : undefined,
      DEADLINE_MS,
    );
    await api.retrying(
      'stopCharging',
      async () =>
        (await api.gql(/* GraphQL */ `mutation DrillStopCharging($id: ID!) { stopCharging(orderId: $id) { userErrors { code } } }`, { id: rec.orderId }))
          .stopCharging,
      DEADLINE_MS,
    );
    // A driver who asked to stop unplugs anyway if the command never arrives.
    const remoteStop = await ch.command('RemoteStopTransaction', 30_000);
    ch.meterWh += 500 + Math.floor(Math.random() * 2000);
    const meterStop = ch.meterWh;
    await ch.send(`stopped|${tx}`, (cp) => cp.stopTransaction(tx, meterStop, { reason: remoteStop ? 'Remote' : 'Local' }));
    rec.energyWh = meterStop - meterStart;
    rec.completed = true;
    rec.finishedAt = Date.now();
    await ch.status('Available');
    if (opts.pay) rec.paid = await pay(api, rec.orderId, opts.alipayUrl);
  } catch (e) {
    rec.failure = e instanceof Error ? e.message : String(e);
  }
  return rec;
}

async function pay(api: DrillApi, orderId: string, alipayUrl: string): Promise<{ paymentId: string }> {
  const created = await api.retrying(
    'createPayment',
    async () =>
      (
        await api.gql(
          /* GraphQL */ `mutation DrillCreatePayment($i: CreatePaymentInput!) { createPayment(input: $i) { payment { id outTradeNo } userErrors { code } } }`,
          // the same key on every retry: one payment however often the call is repeated
          { i: { orderId, method: 'ALIPAY_QR', idempotencyKey: `drill-pay-${orderId}` } },
        )
      ).createPayment?.payment ?? undefined,
    DEADLINE_MS,
  );
  await api.retrying(
    'sandbox pay',
    async () => ((await fetch(`${alipayUrl}/sandbox/trades/${created.outTradeNo}/pay`, { method: 'POST' })).status === 200 ? true : undefined),
    DEADLINE_MS,
  );
  return { paymentId: created.id as string };
}
