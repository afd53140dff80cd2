import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { dropDatabase } from '@evcs/platform';
import { eventually, PG_SUPERUSER_URL, REPO_ROOT, uniqueName } from '@evcs/testkit';
import { SimulatedChargePoint } from '@evcs/protocol-bridge/dist/src/simulator';
import { registerFleet } from '@evcs/protocol-bridge/dist/src/simulator/register';
import { ConsoleServer, startConsoleServer } from '../src/console-server';
import { demoOperator, demoPlatform } from '../src/demo';
import { Stack, startStack } from '../src/stack';
import { CHROMIUM, SCREENSHOTS, seriousViolations } from './support/browser';

interface Session {
  orderId: string;
  transactionId: number;
  t0: Date;
}

/**
 * The console's sessions screens in a real browser against the whole platform: the demo
 * operator's admin finds a session a simulated OCPP charger runs in the orders list (filters,
 * cursor paging both ways), watches its progress live (orderProgress over the proxied
 * WebSocket) and its timeline, stops it and sees it priced with the itemized bill, refunds part
 * of its payment (Alipay sandbox), and force-closes another session with a reason.
 */
describe('operator console: charging sessions in a browser', () => {
  const database = uniqueName('evcs_console_sessions');
  const passwords = { platformAdmin: 'platform password 1', operatorAdmin: 'operator password 1', stationManager: 'viewer password 1' };
  const operator = demoOperator(passwords);
  const codes = ['DEMO-CP-0001', 'DEMO-CP-0002'];
  let stack: Stack;
  let server: ConsoleServer;
  let browser: Browser;
  let page: Page;
  let token: string;
  const chargePoints: SimulatedChargePoint[] = [];
  const sessions: Session[] = [];
  /** what the router pushed for orderProgress over the page's WebSocket */
  const progressFrames: string[] = [];

  async function gql(query: string, variables: Record<string, unknown> = {}) {
    const res = await fetch(stack.routerUrls[0], {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as any;
  }

  /** A session started through the API, confirmed by the simulated charger an hour ago, with a first reading. */
  async function startSession(n: number): Promise<Session> {
    const cp = chargePoints[n];
    const chargerId = (await gql('query($c: String!) { chargerByCode(code: $c) { id } }', { c: codes[n] })).data.chargerByCode.id;
    const started = await gql('mutation($i: StartChargingInput!) { startCharging(input: $i) { order { id } userErrors { code message } } }', {
      i: { chargerId, connectorNo: 1, idempotencyKey: `console-${randomUUID()}` },
    });
    expect(started.data.startCharging.userErrors).toEqual([]);
    const orderId = started.data.startCharging.order.id as string;
    const remoteStart = await eventually(async () => cp.commandsReceived.find((c) => c.action === 'RemoteStartTransaction'), {
      timeoutMs: 30_000,
      what: 'RemoteStartTransaction at the charger',
    });
    const t0 = new Date(Date.now() - 60 * 60_000);
    const { transactionId } = await cp.startTransaction(1, String(remoteStart.params.idTag), 1000, t0);
    await cp.meterValues(1, transactionId, 2000, new Date(t0.getTime() + 10 * 60_000));
    await eventually(async () => (await gql('query($id: ID!) { order(id: $id) { state } }', { id: orderId })).data.order?.state === 'CHARGING', {
      timeoutMs: 30_000,
      what: 'order CHARGING',
    });
    const session = { orderId, transactionId, t0 };
    sessions.push(session);
    return session;
  }

  async function signIn(): Promise<void> {
    await page.fill('#tenantCode', operator.code);
    await page.fill('#username', 'admin');
    await page.fill('#password', passwords.operatorAdmin);
    await page.click('[data-test=sign-in]');
  }

  const detailState = () => page.locator('[data-test=detail-state]');
  const rowTexts = () => page.locator('[data-test=orders] .el-table__body tr').allTextContents();

  async function pick(select: string, option: string): Promise<void> {
    await page.click(`[data-test=${select}]`);
    await page.locator('.el-select-dropdown__item:visible', { hasText: option }).first().click();
    await page.keyboard.press('Escape');
  }

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) execFileSync('bash', [path.join(REPO_ROOT, 'ops/chromium/install.sh')], { stdio: 'inherit', timeout: 900_000 });
    mkdirSync(SCREENSHOTS, { recursive: true });
    stack = await startStack({ database, kafkaNamespace: uniqueName('console_sessions'), ports: 'ephemeral', quiet: true });
    await stack.seedTenant(demoPlatform(passwords));
    await stack.seedTenant(operator);
    token = (await stack.login(operator.code, 'admin', passwords.operatorAdmin)).accessToken;
    const fleet = await registerFleet({ routerUrl: stack.routerUrls[0], token, stationCode: operator.stations[0].code, ocpp: codes, ykc: [], connectors: 2 });
    for (const id of codes) {
      const cp = new SimulatedChargePoint({ url: stack.bridgeUrl, id, password: fleet.passwords.get(id) });
      chargePoints.push(cp);
      await cp.connect();
      await cp.boot();
      await cp.status(1, 'Available');
    }
    server = await startConsoleServer({ routerUrl: stack.routerUrls[0], port: 0 });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--disable-dev-shm-usage'] });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('websocket', (ws) =>
      ws.on('framereceived', (f) => {
        if (typeof f.payload === 'string' && f.payload.includes('"orderProgress"')) progressFrames.push(f.payload);
      }),
    );
  }, 600_000);

  afterAll(async () => {
    await Promise.all(chargePoints.map(async (cp) => cp.close().catch(() => undefined)));
    await browser?.close();
    await server?.stop();
    await stack?.stop();
    await dropDatabase(PG_SUPERUSER_URL, database);
  });

  test('the operator admin finds the running session in the orders list, filtered by state and station', async () => {
    await startSession(0);
    await page.goto(server.url);
    await page.waitForURL(/\/sign-in/);
    await signIn();
    await page.waitForURL(/\/dashboard$/);
    expect(await page.locator('[data-test=menu] li').allTextContents()).toContain('充电订单');
    await page.click('[data-test=menu-orders]');
    await page.waitForURL(/\/orders$/);
    await page.getByRole('heading', { name: '充电订单' }).waitFor();
    await page.locator('[data-test=orders]', { hasText: 'DEMO-CP-0001' }).waitFor();
    expect(await rowTexts()).toEqual([expect.stringMatching(/CHARGING.*Pudong Riverside Hub.*DEMO-CP-0001 \/ 1/)]);

    // a state that matches nothing, then the session's own state and station
    await pick('filter-state', 'FAILED');
    await page.click('[data-test=search]');
    await page.waitForURL(/state=FAILED/);
    await page.locator('[data-test=orders]', { hasText: '没有订单' }).waitFor();
    await page.click('[data-test=reset]');
    await page.waitForURL(/\/orders$/);
    await pick('filter-state', 'CHARGING');
    await pick('filter-station', 'SH-PUDONG-01');
    await page.click('[data-test=search]');
    await page.waitForURL(/state=CHARGING.*station=/);
    await page.locator('[data-test=orders]', { hasText: 'DEMO-CP-0001' }).waitFor();
    expect(await rowTexts()).toHaveLength(1);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'orders.png') });
    expect(await seriousViolations(page)).toEqual([]);
  });

  test('the order shows its live progress (orderProgress) and timeline; stopped from the console, it is priced with a bill', async () => {
    const [a] = sessions;
    await page.click('[data-test=order-link]');
    await page.waitForURL(new RegExp(`/orders/${a.orderId}$`));
    await detailState().filter({ hasText: 'CHARGING' }).waitFor();
    expect(await page.locator('[data-test=timeline]').textContent()).toMatch(/PENDING.*CHARGER/);
    // readings until one the page shows came over the subscription (it is live once the router checked the order)
    let minute = 15;
    let wh = 2000;
    const sent: string[] = [];
    await eventually(
      async () => {
        wh += 500;
        await chargePoints[0].meterValues(1, a.transactionId, wh, new Date(a.t0.getTime() + minute * 60_000));
        minute += 5;
        sent.push(`"kwh":"${((wh - 1000) / 1000).toFixed(3)}"`);
        // a push of one of these readings: the subscription's first push (what the order held
        // when the page subscribed) is of an earlier one
        return progressFrames.some((f) => sent.some((k) => f.includes(k)));
      },
      { timeoutMs: 60_000, intervalMs: 1_500, what: 'orderProgress pushed to the page' },
    );
    const kwh = (wh - 1000) / 1000;
    await page.locator('[data-test=progress-energy]', { hasText: `${kwh}.` }).waitFor();
    expect(await page.locator('[data-test=progress-power]').textContent()).toContain('7.2');
    expect(await page.locator('[data-test=progress-cost]').textContent()).toMatch(/\d+\.\d{2} CNY/);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'order-charging.png'), fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);

    await page.click('[data-test=stop]');
    await detailState().filter({ hasText: 'FINISHING' }).waitFor();
    await eventually(async () => chargePoints[0].commandsReceived.find((c) => c.action === 'RemoteStopTransaction'), {
      timeoutMs: 30_000,
      what: 'RemoteStopTransaction at the charger',
    });
    await chargePoints[0].stopTransaction(a.transactionId, 11_000, { timestamp: new Date(a.t0.getTime() + 60 * 60_000), reason: 'Remote' });
    await detailState().filter({ hasText: 'TO_PAY' }).waitFor({ timeout: 30_000 });
    await page.locator('[data-test=bill-total]').waitFor();
    expect(await page.locator('[data-test=bill-total]').textContent()).toMatch(/^\d+\.\d{2} CNY$/);
    expect(await page.locator('[data-test=bill-items] .el-table__body tr').count()).toBeGreaterThan(0);
    expect(await page.locator('[data-test=order-facts]').textContent()).toContain('10.000');
    expect(await page.locator('[data-test=detail-amount]').textContent()).toBe(await page.locator('[data-test=bill-total]').textContent());
    expect(await page.locator('[data-test=timeline]').textContent()).toMatch(/CHARGING → FINISHING.*STOP_REQUESTED/);
    expect(await page.locator('[data-test=progress]').count()).toBe(0);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'order-billed.png'), fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);
  });

  test('paid through the Alipay sandbox, part of the payment is refunded from the order', async () => {
    const [a] = sessions;
    const created = await eventually(
      async () => {
        const r = await gql('mutation($i: CreatePaymentInput!) { createPayment(input: $i) { payment { id outTradeNo } userErrors { code } } }', {
          i: { orderId: a.orderId, method: 'ALIPAY_QR', idempotencyKey: `pay-${a.orderId}` },
        });
        if (!r.data?.createPayment?.payment) throw new Error(JSON.stringify(r));
        return r.data.createPayment.payment;
      },
      { timeoutMs: 60_000, intervalMs: 500, what: 'the order to be payable at the payments service' },
    );
    expect((await fetch(`${stack.paySandboxes.alipayUrl}/sandbox/trades/${created.outTradeNo}/pay`, { method: 'POST' })).status).toBe(200);
    // the page looks again while the order waits for its payment
    await detailState().filter({ hasText: 'PAID' }).waitFor({ timeout: 30_000 });
    await page.locator('[data-test=payment-state]', { hasText: 'SUCCEEDED' }).waitFor({ timeout: 10_000 });

    await page.click('[data-test=refund]');
    await page.locator('[data-test=refund-dialog]').waitFor();
    await page.fill('#refund-amount', '99999');
    await page.fill('#refund-reason', 'customer complaint');
    expect(await page.locator('[data-test=refund-confirm]').isDisabled()).toBe(true);
    await page.fill('#refund-amount', '0.5');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'order-refund.png') });
    expect(await seriousViolations(page)).toEqual([]);
    await page.click('[data-test=refund-confirm]');
    await page.locator('[data-test=payment-refunded]', { hasText: '0.50' }).waitFor();
    await detailState().filter({ hasText: 'PARTIALLY_REFUNDED' }).waitFor({ timeout: 30_000 });
    const payments = await gql('query($id: ID!) { payment(id: $id) { refundedAmount { minor } refunds { reason state } } }', { id: created.id });
    expect(payments.data.payment).toEqual({ refundedAmount: { minor: 50 }, refunds: [{ reason: 'customer complaint', state: 'SUCCEEDED' }] });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'order-refunded.png'), fullPage: true });
  });

  test('another running session is force-closed with a reason, billed at its last reading', async () => {
    const b = await startSession(1);
    await page.click('[data-test=back]');
    await page.waitForURL(/\/orders$/);
    await page.locator('[data-test=orders]', { hasText: 'DEMO-CP-0002' }).waitFor();
    await page.locator('[data-test=orders] .el-table__body tr', { hasText: 'DEMO-CP-0002' }).locator('[data-test=order-link]').click();
    await page.waitForURL(new RegExp(`/orders/${b.orderId}$`));
    await detailState().filter({ hasText: 'CHARGING' }).waitFor();
    await page.click('[data-test=force-close]');
    await page.locator('[data-test=force-close-dialog]').waitFor();
    await page.fill('#force-close-reason', 'bad');
    expect(await page.locator('[data-test=force-close-confirm]').isDisabled()).toBe(true);
    await page.fill('#force-close-reason', 'the charger is gone for good');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'order-force-close.png') });
    expect(await seriousViolations(page)).toEqual([]);
    await page.click('[data-test=force-close-confirm]');
    await detailState().filter({ hasText: 'TO_PAY' }).waitFor({ timeout: 30_000 });
    const facts = await page.locator('[data-test=order-facts]').textContent();
    expect(facts).toContain('FORCE_CLOSED');
    expect(facts).toContain('1.000'); // 1000 Wh → 2000 Wh, the last reading
    expect(await page.locator('[data-test=timeline]').textContent()).toContain('OPERATOR');
    await page.locator('[data-test=bill-total]').waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'order-force-closed.png'), fullPage: true });
  });

  test('a link to a page of one order at a time: paged forwards and backwards with the cursors, in English', async () => {
    const [a, b] = sessions;
    const from = new Date(a.t0.getTime() - 60 * 60_000).toISOString();
    const to = new Date(Date.now() + 60 * 60_000).toISOString();
    // the session is in memory only: the link asks for a sign-in, then opens
    await page.goto(new URL(`/orders?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&size=1`, server.url).href);
    await page.waitForURL(/\/sign-in\?next=/);
    await signIn();
    await page.waitForURL(/\/orders\?.*size=1/);
    await page.click('[data-test=language]');
    await page.getByRole('heading', { name: 'Charging orders' }).waitFor();
    const shows = async (code: string) => {
      await page.locator('[data-test=orders]', { hasText: code }).waitFor();
      expect(await rowTexts()).toHaveLength(1);
    };
    // newest first: b, then a
    await shows('DEMO-CP-0002');
    expect(await page.locator('[data-test=page-prev]').isDisabled()).toBe(true);
    await page.click('[data-test=page-next]');
    await page.waitForURL(/after=/);
    await shows('DEMO-CP-0001');
    expect(await page.locator('[data-test=page-next]').isDisabled()).toBe(true);
    await page.click('[data-test=page-prev]');
    await page.waitForURL(/before=/);
    await shows('DEMO-CP-0002');
    expect(await page.locator('[data-test=page-prev]').isDisabled()).toBe(true);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'orders-paged-en.png') });
    expect(await seriousViolations(page)).toEqual([]);
    // and a time range without them: nothing
    await page.goto(new URL(`/orders?to=${encodeURIComponent(from)}`, server.url).href);
    await page.waitForURL(/\/sign-in\?next=/);
    await signIn();
    await page.locator('[data-test=orders]', { hasText: '没有订单' }).waitFor();
    expect([a.orderId, b.orderId]).toHaveLength(2);
  });
});
