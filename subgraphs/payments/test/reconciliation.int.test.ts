import { randomBytes, randomUUID } from 'node:crypto';
import { BusinessMetrics, NO_BUSINESS_METRICS } from '@evcs/platform';
import { eventually } from '@evcs/testkit';
import { AlipayChannel } from '../src/channels';
import { shanghaiDate } from '../src/domain/time';
import { PaymentService } from '../src';
import { CREATE, Harness, logger, PAYMENT, REFUND, startHarness } from './harness';

const key = () => `key-${randomUUID()}`;
const RUN = `mutation($c: PaymentChannelName!, $d: String!) { runStatementReconciliation(channel: $c, date: $d) {
  run { id channel date status lines matched discrepancies runs error } userErrors { code field message } } }`;
const DISCREPANCIES = `query($f: StatementDiscrepancyFilter) { statementDiscrepancies(filter: $f, first: 100) {
  edges { node { id kind outTradeNo outRefundNo localAmount { minor currency formatted } channelAmount { minor } localState channelState resolvedAt resolvedBy resolutionNote } }
  totals { count unresolved missingLocally missingAtChannel amountMismatch statusMismatch } } }`;
const RESOLVE = `mutation($id: ID!, $n: String!) { resolveStatementDiscrepancy(id: $id, note: $n) { discrepancy { id resolvedAt resolutionNote } userErrors { code } } }`;

describe('statement reconciliation against the sandboxes’ daily statements', () => {
  let h: Harness;
  const tenantA = randomUUID();
  const tenantB = randomUUID();
  let tokA: string;
  let tokB: string;
  const today = shanghaiDate(new Date());
  /** what the service counted: `event:labels` */
  const counted: string[] = [];
  const business: BusinessMetrics = {
    ...NO_BUSINESS_METRICS,
    paymentAttempted: (t, channel) => void counted.push(`attempted:${channel}`),
    paymentSucceeded: (t, channel, amount) => void counted.push(`succeeded:${channel}:${amount.minor}`),
    refundSettled: (t, channel, outcome) => void counted.push(`refund:${channel}:${outcome}`),
    discrepanciesFound: (t, source, kind, n) => void counted.push(`discrepancies:${source}:${kind}:${n}`),
  };

  beforeAll(async () => {
    // tenant A holds the merchant accounts: trades nobody knows are its to review
    h = await startHarness({ merchantTenantId: tenantA, business });
    tokA = await h.token(tenantA);
    tokB = await h.token(tenantB);
  });
  afterAll(() => h?.stop());

  const paid = async (tenantId: string, token: string, amount: number, method: string, o: { notify?: boolean } = {}) => {
    const orderId = await h.payableOrder(tenantId, amount);
    const created = (await h.gql(CREATE, { token, variables: { i: { orderId, method, idempotencyKey: key() } } })).body.data.createPayment;
    const c = created.payment;
    // APP pay: the trade exists at Alipay once the app hands it the order string
    if (method === 'ALIPAY_APP')
      expect((await fetch(`${h.alipay.baseUrl()}/sandbox/app-pay`, { method: 'POST', body: created.clientParams.orderString })).status).toBe(200);
    const sb = method.startsWith('ALIPAY') ? h.alipay : h.wechat;
    sb.pay(c.outTradeNo, { notify: o.notify });
    if (o.notify !== false) await eventually(async () => (await h.gql(PAYMENT, { token, variables: { id: c.id } })).body.data.payment.state === 'SUCCEEDED');
    return c as { id: string; outTradeNo: string };
  };
  const run = async (channel: string, date = today, token = tokA) =>
    (await h.gql(RUN, { token, variables: { c: channel, d: date } })).body.data.runStatementReconciliation;
  const discrepancies = async (f: object, token = tokA) => (await h.gql(DISCREPANCIES, { token, variables: { f } })).body.data.statementDiscrepancies;

  it('finds each kind of discrepancy, persists them for review, and is idempotent per date', async () => {
    const ok = await paid(tenantA, tokA, 1000, 'ALIPAY_QR');
    const refunded = await h.gql(REFUND, { token: tokA, variables: { i: { paymentId: ok.id, amountMinor: 100, reason: 'r', idempotencyKey: key() } } });
    expect(refunded.body.data.refundPayment.refund.state).toBe('SUCCEEDED');
    // counted once each, however many notifications and queries told the service
    expect(counted).toEqual(['attempted:ALIPAY', 'succeeded:ALIPAY:1000', 'refund:ALIPAY:succeeded']);
    const wrongAmount = await paid(tenantA, tokA, 2000, 'ALIPAY_QR');
    h.alipay.setBill(wrongAmount.outTradeNo, { amountFen: 1999 });
    const notBilled = await paid(tenantA, tokA, 3000, 'ALIPAY_QR');
    h.alipay.setBill(notBilled.outTradeNo, { omit: true });
    const notifyLost = await paid(tenantA, tokA, 4000, 'ALIPAY_APP', { notify: false });
    // a trade this platform never recorded, paid at the channel
    const stranger = randomBytes(16).toString('hex');
    await new AlipayChannel({ ...h.alipay.credentials, gatewayUrl: `${h.alipay.baseUrl()}/gateway.do` }).createTrade({
      outTradeNo: stranger,
      method: 'ALIPAY_QR',
      amount: 500,
      description: 'x',
      notifyUrl: 'http://127.0.0.1:9/none',
    });
    h.alipay.pay(stranger, { notify: false });
    // another tenant's payment in the same merchant statement: not tenant A's business
    const other = await paid(tenantB, tokB, 700, 'ALIPAY_QR');

    counted.length = 0;
    const r1 = await run('ALIPAY');
    expect(r1.userErrors).toEqual([]);
    expect(counted.filter((c) => c.startsWith('discrepancies')).sort()).toEqual([
      'discrepancies:payments:AMOUNT_MISMATCH:1',
      'discrepancies:payments:MISSING_AT_CHANNEL:1',
      'discrepancies:payments:MISSING_LOCALLY:1',
      'discrepancies:payments:STATUS_MISMATCH:1',
    ]);
    expect(r1.run).toMatchObject({ channel: 'ALIPAY', date: today, status: 'COMPLETED', discrepancies: 4, matched: 2, runs: 1 });
    const d1 = await discrepancies({ channel: 'ALIPAY', date: today });
    expect(d1.totals).toEqual({ count: 4, unresolved: 4, missingLocally: 1, missingAtChannel: 1, amountMismatch: 1, statusMismatch: 1 });
    const byKind = Object.fromEntries(d1.edges.map((e: any) => [e.node.kind, e.node]));
    expect(byKind.MISSING_LOCALLY).toMatchObject({ outTradeNo: stranger, channelAmount: { minor: 500 }, localAmount: null });
    expect(byKind.AMOUNT_MISMATCH).toMatchObject({
      outTradeNo: wrongAmount.outTradeNo,
      localAmount: { minor: 2000, currency: 'CNY', formatted: '20.00' },
      channelAmount: { minor: 1999 },
    });
    expect(byKind.MISSING_AT_CHANNEL).toMatchObject({ outTradeNo: notBilled.outTradeNo, localAmount: { minor: 3000 }, channelAmount: null });
    expect(byKind.STATUS_MISMATCH).toMatchObject({ outTradeNo: notifyLost.outTradeNo, localState: 'PAYING', channelState: 'SUCCEEDED' });
    expect(d1.edges.map((e: any) => e.node.outTradeNo)).not.toContain(other.outTradeNo);

    // the same day again: one run, the same discrepancies, no duplicates — and none of them new
    counted.length = 0;
    const r2 = await run('ALIPAY');
    expect(counted).toEqual([]);
    expect(r2.run).toMatchObject({ id: r1.run.id, runs: 2, discrepancies: 4 });
    expect((await discrepancies({ channel: 'ALIPAY', date: today })).totals.count).toBe(4);

    // the lost notification is settled by query; the next run no longer finds that mismatch
    await h.srv.service.settleDue(0);
    const r3 = await run('ALIPAY');
    expect(r3.run).toMatchObject({ discrepancies: 3, matched: 3, runs: 3 });
    const d3 = await discrepancies({ channel: 'ALIPAY', date: today });
    expect(d3.totals).toMatchObject({ count: 4, unresolved: 3, statusMismatch: 1 });
    const settled = d3.edges.find((e: any) => e.node.kind === 'STATUS_MISMATCH').node;
    expect(settled).toMatchObject({ resolvedBy: 'reconciliation' });

    // review: resolve with a note, once
    const id = byKind.MISSING_LOCALLY.id;
    const res = (await h.gql(RESOLVE, { token: tokA, variables: { id, n: 'test trade from the sandbox console' } })).body.data.resolveStatementDiscrepancy;
    expect(res.userErrors).toEqual([]);
    expect(res.discrepancy.resolutionNote).toBe('test trade from the sandbox console');
    expect((await h.gql(RESOLVE, { token: tokA, variables: { id, n: 'again' } })).body.data.resolveStatementDiscrepancy.userErrors[0].code).toBe(
      'ALREADY_RESOLVED',
    );
    expect((await h.gql(RESOLVE, { token: tokB, variables: { id, n: 'not mine' } })).body.data.resolveStatementDiscrepancy.userErrors[0].code).toBe(
      'NOT_FOUND',
    );
    expect((await discrepancies({ resolved: false })).totals.unresolved).toBe(2);

    // tenant B reconciles its own trade and sees none of A's
    const rb = await run('ALIPAY', today, tokB);
    expect(rb.run).toMatchObject({ discrepancies: 0, matched: 1 });
    expect((await discrepancies({}, tokB)).totals.count).toBe(0);
    const runs = await h.gql('{ statementRuns { id channel date runs } }', { token: tokA });
    expect(runs.body.data.statementRuns).toEqual([expect.objectContaining({ id: r1.run.id, runs: 3 })]);
    // the same runs as a connection, either way
    const conn = await h.gql('{ statementRunsConnection(first: 5) { edges { node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }', {
      token: tokA,
    });
    expect(conn.body.data.statementRunsConnection.edges).toEqual([{ node: { id: r1.run.id } }]);
    expect(conn.body.data.statementRunsConnection.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
    const back = await h.gql('{ statementRunsConnection(last: 1) { edges { node { id } } pageInfo { hasPreviousPage } } }', { token: tokA });
    expect(back.body.data.statementRunsConnection).toEqual({ edges: [{ node: { id: r1.run.id } }], pageInfo: { hasPreviousPage: false } });
  });

  it('WeChat Pay: payments and refunds of the tradebill match', async () => {
    const p = await paid(tenantA, tokA, 1500, 'WECHAT_NATIVE');
    await h.gql(REFUND, { token: tokA, variables: { i: { paymentId: p.id, amountMinor: 500, reason: 'r', idempotencyKey: key() } } });
    await eventually(async () => (await h.gql(PAYMENT, { token: tokA, variables: { id: p.id } })).body.data.payment.refunds[0]?.state === 'SUCCEEDED');
    const r = await run('WECHATPAY');
    expect(r.run).toMatchObject({ status: 'COMPLETED', matched: 2, discrepancies: 0, lines: 2 });
  });

  it('the daily job reconciles every active tenant and the merchant tenant once per day', async () => {
    const tenantC = randomUUID();
    const c = await paid(tenantC, await h.token(tenantC), 1200, 'WECHAT_NATIVE');
    // "tomorrow", so yesterday is today: the sandboxes' statements of today are what it reconciles
    const svc = new PaymentService({
      store: h.store,
      channels: h.channels,
      notifyUrls: { ALIPAY: 'http://x', WECHATPAY: 'http://x' },
      log: logger,
      merchantTenantId: tenantA,
      now: () => new Date(Date.now() + 24 * 3600_000),
    });
    const first = await svc.reconcileYesterday();
    expect(first.date).toBe(today);
    expect(first.runs).toBeGreaterThanOrEqual(1);
    const runs = await h.owner.raw(
      'select tenant_id, channel, status, matched, discrepancies from payments.statement_runs where statement_date = ? and tenant_id = ?',
      [today, tenantC],
    );
    expect(runs.rows).toEqual([expect.objectContaining({ channel: 'WECHATPAY', status: 'COMPLETED', matched: 1, discrepancies: 0 })]);
    expect(c.outTradeNo).toBeTruthy();
    // completed days are left alone
    expect((await svc.reconcileYesterday()).runs).toBe(0);
  });

  it('refuses future days and records a failed download as a failed run', async () => {
    expect((await run('ALIPAY', '2999-01-01')).userErrors[0]).toMatchObject({ code: 'INVALID_INPUT', field: 'date' });
    h.wechat.setFault('http500');
    try {
      const r = await run('WECHATPAY', '2026-01-02');
      expect(r.userErrors[0].code).toBe('CHANNEL_UNAVAILABLE');
    } finally {
      h.wechat.setFault('none');
    }
    const runs = await h.gql('{ statementRuns(channel: WECHATPAY) { date status error } }', { token: tokA });
    expect(runs.body.data.statementRuns).toEqual(expect.arrayContaining([expect.objectContaining({ date: '2026-01-02', status: 'FAILED' })]));
  });
});
