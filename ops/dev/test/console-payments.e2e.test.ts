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

/** The Asia/Shanghai day of an instant: the day both reconciliations are kept by. */
const shanghaiDay = (at: Date) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(at);
/** Fen as yuan, by string (no float). */
const yuan = (fen: number) => `${Math.trunc(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;

interface Session {
  orderId: string;
  transactionId: number;
  t0: Date;
}

/**
 * The console's payments screens in a real browser against the whole platform. Simulated OCPP
 * chargers run real sessions; their payments go through the Alipay sandbox. The operator admin
 * refunds part of a payment from the Payments screen and sees the refund and what is left, and
 * finds it in the Refunds list by state and channel;
 * reconciles the day from the Reconciliation screen, where the session still running is a
 * MISSING_END discrepancy, and resolves it with a note; reconciles the day's Alipay statement from
 * the Statements screen, where a payment whose notification was lost (paid at Alipay, still PAYING
 * here) is a STATUS_MISMATCH, and reviews it with a note. A viewer sees the screens without
 * their actions.
 */
describe('operator console: payments and reconciliation in a browser', () => {
  const database = uniqueName('evcs_console_payments');
  const passwords = { platformAdmin: 'platform password 1', operatorAdmin: 'operator password 1', stationManager: 'viewer password 1' };
  const operator = demoOperator(passwords);
  const codes = ['DEMO-CP-0001', 'DEMO-CP-0002', 'DEMO-CP-0003'];
  let stack: Stack;
  let server: ConsoleServer;
  let browser: Browser;
  let page: Page;
  let token: string;
  const chargePoints: SimulatedChargePoint[] = [];
  let paid: { id: string; outTradeNo: string; minor: number };
  let running: Session;

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
    return { orderId, transactionId, t0 };
  }

  /** A session stopped at the charger after 10 kWh and its Alipay payment opened: the trade to pay at the sandbox. */
  async function billedSession(n: number): Promise<{ id: string; outTradeNo: string; minor: number }> {
    const s = await startSession(n);
    await chargePoints[n].stopTransaction(s.transactionId, 11_000, { timestamp: new Date(s.t0.getTime() + 60 * 60_000), reason: 'Local' });
    return eventually(
      async () => {
        const r = await gql(
          'mutation($i: CreatePaymentInput!) { createPayment(input: $i) { payment { id outTradeNo amount { minor } } userErrors { code } } }',
          { i: { orderId: s.orderId, method: 'ALIPAY_QR', idempotencyKey: `pay-${s.orderId}` } },
        );
        const p = r.data?.createPayment?.payment;
        if (!p) throw new Error(JSON.stringify(r));
        return { id: p.id as string, outTradeNo: p.outTradeNo as string, minor: p.amount.minor as number };
      },
      { timeoutMs: 60_000, intervalMs: 500, what: 'the order to be payable at the payments service' },
    );
  }

  async function signIn(username: string, password: string): Promise<void> {
    await page.fill('#tenantCode', operator.code);
    await page.fill('#username', username);
    await page.fill('#password', password);
    await page.click('[data-test=sign-in]');
  }

  async function pick(select: string, option: string): Promise<void> {
    await page.click(`[data-test=${select}]`);
    await page.locator('.el-select-dropdown__item:visible', { hasText: option }).first().click();
    await page.keyboard.press('Escape');
  }

  /** Types a day into the run form's date picker. */
  async function setDay(day: string): Promise<void> {
    const input = page.locator('[data-test=run-form] .el-date-editor input');
    await input.fill(day);
    await input.press('Enter');
    await page.keyboard.press('Escape');
  }

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) execFileSync('bash', [path.join(REPO_ROOT, 'ops/chromium/install.sh')], { stdio: 'inherit', timeout: 900_000 });
    mkdirSync(SCREENSHOTS, { recursive: true });
    stack = await startStack({ database, kafkaNamespace: uniqueName('console_payments'), ports: 'ephemeral', quiet: true });
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
    // one session paid through the Alipay sandbox, one still running
    paid = await billedSession(0);
    expect((await fetch(`${stack.paySandboxes.alipayUrl}/sandbox/trades/${paid.outTradeNo}/pay`, { method: 'POST' })).status).toBe(200);
    await eventually(async () => (await gql('query($id: ID!) { payment(id: $id) { state } }', { id: paid.id })).data.payment?.state === 'SUCCEEDED', {
      timeoutMs: 30_000,
      what: 'the payment SUCCEEDED',
    });
    running = await startSession(1);
    server = await startConsoleServer({ routerUrl: stack.routerUrls[0], port: 0 });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--disable-dev-shm-usage'] });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  }, 600_000);

  afterAll(async () => {
    await Promise.all(chargePoints.map(async (cp) => cp.close().catch(() => undefined)));
    await browser?.close();
    await server?.stop();
    await stack?.stop();
    await dropDatabase(PG_SUPERUSER_URL, database);
  });

  test('the operator admin finds the payment in the Payments list and refunds part of it on its page', async () => {
    await page.goto(server.url);
    await page.waitForURL(/\/sign-in/);
    await signIn('admin', passwords.operatorAdmin);
    await page.waitForURL(/\/dashboard$/);
    expect(await page.locator('[data-test=menu] li').allTextContents()).toEqual(expect.arrayContaining(['支付与退款', '退款记录', '每日对账', '渠道对账单']));
    await page.click('[data-test=menu-payments]');
    await page.waitForURL(/\/payments$/);
    await page.getByRole('heading', { name: '支付与退款' }).waitFor();
    const rows = page.locator('[data-test=payments] .el-table__body tr');
    await rows.filter({ hasText: paid.outTradeNo }).waitFor();

    // a channel that matches nothing, then the payment's own channel and state
    await pick('filter-channel', '微信支付');
    await page.click('[data-test=search]');
    await page.waitForURL(/channel=WECHATPAY/);
    await page.locator('[data-test=payments]', { hasText: '没有支付记录' }).waitFor();
    await page.click('[data-test=reset]');
    await page.waitForURL(/\/payments$/);
    await pick('filter-channel', '支付宝');
    await pick('filter-state', 'SUCCEEDED');
    await page.click('[data-test=search]');
    await page.waitForURL(/state=SUCCEEDED.*channel=ALIPAY|channel=ALIPAY.*state=SUCCEEDED/);
    await rows.filter({ hasText: paid.outTradeNo }).waitFor();
    expect(await rows.count()).toBe(1);
    expect(await rows.first().locator('[data-test=payment-remaining]').textContent()).toBe(`${yuan(paid.minor)} CNY`);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'payments.png') });
    expect(await seriousViolations(page)).toEqual([]);

    await rows.first().locator('[data-test=payment-link]').click();
    await page.waitForURL(new RegExp(`/payments/${paid.id}$`));
    await page.locator('[data-test=detail-state]', { hasText: 'SUCCEEDED' }).waitFor();
    await page.click('[data-test=refund]');
    await page.locator('[data-test=refund-dialog]').waitFor();
    // more than was paid cannot be asked for
    await page.fill('#refund-amount', yuan(paid.minor + 1));
    await page.fill('#refund-reason', 'charger display was wrong');
    expect(await page.locator('[data-test=refund-confirm]').isDisabled()).toBe(true);
    await page.fill('#refund-amount', '0.5');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'payment-refund.png') });
    expect(await seriousViolations(page)).toEqual([]);
    await page.click('[data-test=refund-confirm]');
    await page.locator('[data-test=detail-refunded]', { hasText: '0.50 CNY' }).waitFor();
    expect(await page.locator('[data-test=detail-remaining]').textContent()).toBe(`${yuan(paid.minor - 50)} CNY`);
    const refund = page.locator('[data-test=refund-rows] .el-table__body tr');
    await refund.filter({ hasText: 'charger display was wrong' }).waitFor();
    expect(await refund.first().locator('[data-test=refund-amount]').textContent()).toBe('0.50 CNY');
    const api = await gql('query($id: ID!) { payment(id: $id) { refundedAmount { minor } refunds { amount { minor } reason } } }', { id: paid.id });
    expect(api.data.payment).toEqual({ refundedAmount: { minor: 50 }, refunds: [{ amount: { minor: 50 }, reason: 'charger display was wrong' }] });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'payment-refunded.png'), fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);

    // back in the list, what is left shows there too
    await page.click('[data-test=back]');
    await page.waitForURL(/\/payments$/);
    await rows
      .filter({ hasText: paid.outTradeNo })
      .locator('[data-test=payment-remaining]', { hasText: `${yuan(paid.minor - 50)} CNY` })
      .waitFor();
  });

  test('the partial refund is in the Refunds list, found by state and channel, and leads to its payment and order', async () => {
    await page.click('[data-test=menu-refunds]');
    await page.waitForURL(/\/refunds$/);
    await page.getByRole('heading', { name: '退款记录' }).waitFor();
    const rows = page.locator('[data-test=refunds] .el-table__body tr');
    const refund = rows.filter({ hasText: 'charger display was wrong' });
    await refund.waitFor();
    expect(await rows.count()).toBe(1);
    expect(await refund.locator('[data-test=refund-amount]').textContent()).toBe('0.50 CNY');
    expect(await refund.locator('[data-test=refund-state]').textContent()).toBe('SUCCEEDED');
    expect(await refund.textContent()).toContain('支付宝');

    // nothing is still processing; the succeeded Alipay refunds are this one
    await pick('filter-state', 'PROCESSING');
    await page.click('[data-test=search]');
    await page.waitForURL(/\/refunds\?state=PROCESSING$/);
    await page.locator('[data-test=refunds]', { hasText: '没有退款记录' }).waitFor();
    await page.click('[data-test=reset]');
    await page.waitForURL(/\/refunds$/);
    await pick('filter-state', 'SUCCEEDED');
    await pick('filter-channel', '支付宝');
    await page.click('[data-test=search]');
    await page.waitForURL(/state=SUCCEEDED.*channel=ALIPAY/);
    await refund.waitFor();
    expect(await rows.count()).toBe(1);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'refunds.png') });
    expect(await seriousViolations(page)).toEqual([]);
    const api = await gql('{ refunds(filter: { states: [SUCCEEDED], channel: ALIPAY }) { edges { node { reason amount { minor } payment { id } } } } }');
    expect(api.data.refunds.edges.map((e: any) => e.node)).toEqual([{ reason: 'charger display was wrong', amount: { minor: 50 }, payment: { id: paid.id } }]);

    const orderId = (await gql('query($id: ID!) { payment(id: $id) { orderId } }', { id: paid.id })).data.payment.orderId as string;
    expect(await refund.locator('[data-test=refund-order-link]').getAttribute('href')).toBe(`/orders/${orderId}`);
    await refund.locator('[data-test=refund-payment-link]').click();
    await page.waitForURL(new RegExp(`/payments/${paid.id}$`));
    await page.locator('[data-test=detail-refunded]', { hasText: '0.50 CNY' }).waitFor();
    // back to the same filtered page
    await page.goBack();
    await page.waitForURL(/\/refunds\?state=SUCCEEDED.*channel=ALIPAY/);
    await refund.waitFor();
  });

  test('the day is reconciled from the Reconciliation screen; the running session is a discrepancy, resolved with a note', async () => {
    const day = shanghaiDay(running.t0);
    await page.click('[data-test=menu-reconciliation]');
    await page.waitForURL(/\/reconciliation$/);
    await page.getByRole('heading', { name: '每日对账' }).waitFor();
    await setDay(day);
    await page.click('[data-test=run]');
    const run = page.locator('[data-test=runs] .el-table__body tr', { hasText: day });
    await run.locator('[data-test=run-state]', { hasText: 'COMPLETED' }).waitFor({ timeout: 60_000 });
    await run.locator('[data-test=run-open]').click();
    const found = page.locator('[data-test=discrepancy-rows] .el-table__body tr', { hasText: 'MISSING_END' });
    await found.waitFor();
    expect(await found.count()).toBe(1);
    expect(await found.textContent()).toContain(running.orderId.slice(0, 8));
    await page.screenshot({ path: path.join(SCREENSHOTS, 'reconciliation.png'), fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);

    await found.locator('[data-test=resolve]').click();
    await page.locator('[data-test=note-dialog]').waitFor();
    await page.fill('#discrepancy-note', 'ok');
    expect(await page.locator('[data-test=note-confirm]').isDisabled()).toBe(true);
    await page.fill('#discrepancy-note', 'charger lost power; the session is closed on site');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'reconciliation-resolve.png') });
    expect(await seriousViolations(page)).toEqual([]);
    await page.click('[data-test=note-confirm]');
    // no longer open; among the resolved ones with its note
    await found.waitFor({ state: 'detached' });
    await page.locator('[data-test=filter-discrepancy-state] label', { hasText: '已处理' }).click();
    await found.locator('[data-test=discrepancy-note]', { hasText: 'charger lost power; the session is closed on site' }).waitFor();
    expect(await found.locator('[data-test=discrepancy-state]').textContent()).toBe('RESOLVED');
    const api = await gql('{ discrepancies(filter: { kinds: ["MISSING_END"] }) { edges { node { orderId state note } } } }');
    expect(api.data.discrepancies.edges.map((e: any) => e.node)).toEqual([
      { orderId: running.orderId, state: 'RESOLVED', note: 'charger lost power; the session is closed on site' },
    ]);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'reconciliation-resolved.png'), fullPage: true });
  });

  test("the day's Alipay statement is reconciled from the Statements screen; a lost notification is reviewed with a note", async () => {
    // paid at Alipay, its notification lost: still PAYING here (the settle job asks only after a minute)
    const lost = await billedSession(2);
    const res = await fetch(`${stack.paySandboxes.alipayUrl}/sandbox/trades/${lost.outTradeNo}/pay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ notify: false }),
    });
    expect(res.status).toBe(200);
    const day = shanghaiDay(new Date());
    await page.click('[data-test=menu-statements]');
    await page.waitForURL(/\/statements$/);
    await page.getByRole('heading', { name: '渠道对账单' }).waitFor();

    // a day to come has no statement: the payload's refusal, with its code
    await setDay('2999-01-01');
    await page.click('[data-test=run]');
    await page.locator('[data-test=run-error]', { hasText: 'INVALID_INPUT' }).waitFor();

    await setDay(day);
    await page.click('[data-test=run]');
    const run = page.locator('[data-test=runs] .el-table__body tr', { hasText: day });
    await run.locator('[data-test=run-state]', { hasText: 'COMPLETED' }).waitFor();
    expect(await page.locator('[data-test=run-error]').count()).toBe(0);
    const found = page.locator('[data-test=discrepancy-rows] .el-table__body tr', { hasText: lost.outTradeNo });
    await found.waitFor();
    expect(await found.locator('[data-test=discrepancy-kind]').textContent()).toBe('STATUS_MISMATCH');
    // the refunded payment and its refund are on the statement and agree
    expect(await page.locator('[data-test=discrepancy-rows] .el-table__body tr').count()).toBe(1);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'statements.png'), fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);

    await found.locator('[data-test=review]').click();
    await page.locator('[data-test=note-dialog]').waitFor();
    await page.fill('#discrepancy-note', 'notification lost; settled by the channel query');
    await page.click('[data-test=note-confirm]');
    await found.waitFor({ state: 'detached' });
    await page.locator('[data-test=filter-reviewed] label', { hasText: '已复核' }).click();
    await found.locator('[data-test=discrepancy-note]', { hasText: 'notification lost; settled by the channel query' }).waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'statements-reviewed.png'), fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);
  });

  test('a viewer sees the payments screens without refund, run, resolve or review', async () => {
    await page.click('[data-test=sign-out]');
    await page.waitForURL(/\/sign-in/);
    await page.goto(new URL(`/payments/${paid.id}`, server.url).href);
    await page.waitForURL(/\/sign-in\?next=/);
    await signIn('viewer', passwords.stationManager);
    await page.waitForURL(new RegExp(`/payments/${paid.id}$`));
    await page.locator('[data-test=detail-refunded]', { hasText: '0.50 CNY' }).waitFor();
    expect(await page.locator('[data-test=refund]').count()).toBe(0);
    expect(await page.locator('[data-test=menu] li').allTextContents()).toEqual(expect.arrayContaining(['支付与退款', '退款记录', '每日对账', '渠道对账单']));
    // reading refunds is reading payments: the viewer's list holds the refund too
    await page.click('[data-test=menu-refunds]');
    await page.locator('[data-test=refunds] .el-table__body tr', { hasText: 'charger display was wrong' }).waitFor();
    await page.click('[data-test=menu-reconciliation]');
    await page.locator('[data-test=runs] [data-test=run-open]').first().click();
    await page.locator('[data-test=discrepancy-rows]').waitFor();
    const headers = () => page.locator('[data-test=discrepancy-rows] thead th').allTextContents();
    expect(await page.locator('[data-test=run-form]').count()).toBe(0);
    expect(await headers()).not.toContain('处理');
    expect(await headers()).toContain('处理说明');
    await page.click('[data-test=menu-statements]');
    await page.waitForURL(/\/statements$/);
    await page.locator('[data-test=runs] [data-test=run-open]').first().click();
    await page.locator('[data-test=discrepancy-rows]').waitFor();
    expect(await page.locator('[data-test=run-form]').count()).toBe(0);
    expect(await headers()).not.toContain('复核');
    expect(await headers()).toContain('处理说明');
  });
});
