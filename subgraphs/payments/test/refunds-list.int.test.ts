import { randomUUID } from 'node:crypto';
import { eventually } from '@evcs/testkit';
import { CREATE, Harness, PAYMENT, REFUND, startHarness } from './harness';

const key = () => `key-${randomUUID()}`;

const LIST = `query($f: RefundFilter, $first: Int, $after: String, $last: Int, $before: String) {
  refunds(filter: $f, first: $first, after: $after, last: $last, before: $before) {
    edges { cursor node { id paymentId state amount { minor currency } createdAt payment { id orderId channel } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`;

/**
 * The refunds list (`refunds`): every refund the caller may read across payments, newest first by
 * (createdAt, id), filtered and paged like `payments`. The refunds are made through the API against
 * the channel sandboxes (Alipay refunds succeed at once; WeChat Pay's stay PROCESSING here, its
 * sandbox settling them only after ten minutes); only the times and one FAILED state are set in
 * the database, as the list's subject is reading them, not how they came about.
 */
describe('the refunds list', () => {
  let h: Harness;
  const tenantA = randomUUID();
  const tenantB = randomUUID();
  let tokA: string;
  let tokB: string;
  const ids: Record<'a1' | 'a2' | 'w1' | 'w2' | 'b1', string> = { a1: '', a2: '', w1: '', w2: '', b1: '' };
  let alipayPayment: { id: string; orderId: string };
  let wechatPayment: { id: string; orderId: string };

  const list = async (variables: Record<string, unknown>, token = tokA) => {
    const r = await h.gql(LIST, { token, variables });
    expect(r.body.errors).toBeUndefined();
    return r.body.data.refunds as { edges: { cursor: string; node: any }[]; pageInfo: any };
  };
  const idsOf = async (f: Record<string, unknown> | null, token = tokA) => (await list({ f, first: 500 }, token)).edges.map((e) => e.node.id);

  async function paid(tenantId: string, token: string, method: string): Promise<{ id: string; orderId: string }> {
    const orderId = await h.payableOrder(tenantId, 1000);
    const c = await h.gql(CREATE, { token, variables: { i: { orderId, method, idempotencyKey: key() } } });
    const p = c.body.data.createPayment.payment;
    (method.startsWith('ALIPAY') ? h.alipay : h.wechat).pay(p.outTradeNo);
    await eventually(async () => (await h.gql(PAYMENT, { token, variables: { id: p.id } })).body.data.payment.state === 'SUCCEEDED');
    return { id: p.id, orderId };
  }
  async function refund(paymentId: string, amount: number, token: string): Promise<{ id: string; state: string }> {
    const r = await h.gql(REFUND, { token, variables: { i: { paymentId, amountMinor: amount, reason: 'unused energy', idempotencyKey: key() } } });
    expect(r.body.data.refundPayment.userErrors).toEqual([]);
    return r.body.data.refundPayment.refund;
  }
  const setRefund = (id: string, sql: string, params: string[] = []) => h.owner.raw(`update payments.refunds set ${sql} where id = ?`, [...params, id]);

  beforeAll(async () => {
    h = await startHarness({ wechat: { refundDelayMs: 600_000 } });
    tokA = await h.token(tenantA);
    tokB = await h.token(tenantB);
    alipayPayment = await paid(tenantA, tokA, 'ALIPAY_QR');
    wechatPayment = await paid(tenantA, tokA, 'WECHAT_NATIVE');
    const b = await paid(tenantB, tokB, 'ALIPAY_QR');
    const a1 = await refund(alipayPayment.id, 100, tokA);
    const a2 = await refund(alipayPayment.id, 200, tokA);
    const w1 = await refund(wechatPayment.id, 300, tokA);
    const w2 = await refund(wechatPayment.id, 400, tokA);
    ids.b1 = (await refund(b.id, 500, tokB)).id;
    Object.assign(ids, { a1: a1.id, a2: a2.id, w1: w1.id, w2: w2.id });
    expect([a1.state, a2.state, w1.state, w2.state]).toEqual(['SUCCEEDED', 'SUCCEEDED', 'PROCESSING', 'PROCESSING']);
    // a1 was asked for last month (10:00 in Shanghai); w1 and w2 in the same microsecond, so only the id orders them
    await setRefund(ids.a1, 'created_at = ?', ['2026-11-20T10:00:00+08:00']);
    await setRefund(ids.w1, 'created_at = ?', ['2026-12-02T08:00:00.123456Z']);
    await setRefund(ids.w2, "created_at = ?, state = 'FAILED', failure_reason = 'account frozen'", ['2026-12-02T08:00:00.123456Z']);
  });
  afterAll(() => h?.stop());

  /** The tenant's refunds in the list's order, as the database has them. */
  const expectedOrder = async (tenantId: string): Promise<string[]> =>
    (await h.owner.raw('select id from payments.refunds where tenant_id = ? order by created_at desc, id desc', [tenantId])).rows.map((r: any) => r.id);

  it("lists the tenant's refunds newest first by (createdAt, id), each with its payment's order and channel", async () => {
    const all = await list({ first: 500 });
    const order = await expectedOrder(tenantA);
    expect(all.edges.map((e) => e.node.id)).toEqual(order);
    expect(order).toHaveLength(4);
    // a2 (now) first, then w1/w2 (yesterday, by id), a1 (last month) last
    expect(order[0]).toBe(ids.a2);
    expect(order[3]).toBe(ids.a1);
    expect(new Set(order.slice(1, 3))).toEqual(new Set([ids.w1, ids.w2]));
    expect(all.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
    const w2 = all.edges.find((e) => e.node.id === ids.w2)!.node;
    expect(w2).toMatchObject({
      paymentId: wechatPayment.id,
      state: 'FAILED',
      amount: { minor: 400, currency: 'CNY' },
      createdAt: '2026-12-02T08:00:00.123Z',
      payment: { id: wechatPayment.id, orderId: wechatPayment.orderId, channel: 'WECHATPAY' },
    });
  });

  it("reads a page's payments in one query, however many refunds it holds (no N+1)", async () => {
    const sql: string[] = [];
    const record = (q: { sql: string }) => void sql.push(q.sql);
    h.knex.on('query', record);
    try {
      expect((await list({ first: 500 })).edges.every((e) => e.node.payment)).toBe(true);
    } finally {
      h.knex.removeListener('query', record);
    }
    // the list itself joins payments (scope, channel, currency); the field asks for them once, by ids
    expect(sql.filter((q) => /^select .* from "payments"( as "payments")? where .*"id" in/.test(q))).toHaveLength(1);
  });

  it("never lists another tenant's refunds, whatever the filter names", async () => {
    expect(await idsOf(null, tokB)).toEqual([ids.b1]);
    expect(await idsOf(null)).not.toContain(ids.b1);
    expect(await idsOf({ paymentId: alipayPayment.id }, tokB)).toEqual([]);
    expect(await idsOf({ orderId: wechatPayment.orderId }, tokB)).toEqual([]);
  });

  it('filters by any of several states', async () => {
    expect(await idsOf({ states: ['PROCESSING'] })).toEqual([ids.w1]);
    expect(await idsOf({ states: ['FAILED'] })).toEqual([ids.w2]);
    expect(await idsOf({ states: ['SUCCEEDED'] })).toEqual([ids.a2, ids.a1]);
    expect(new Set(await idsOf({ states: ['PROCESSING', 'FAILED'] }))).toEqual(new Set([ids.w1, ids.w2]));
    // none given is no condition
    expect(await idsOf({ states: [] })).toHaveLength(4);
  });

  it("filters by the payment's channel and order, and by payment", async () => {
    expect(new Set(await idsOf({ channel: 'WECHATPAY' }))).toEqual(new Set([ids.w1, ids.w2]));
    expect(await idsOf({ channel: 'ALIPAY' })).toEqual([ids.a2, ids.a1]);
    expect(await idsOf({ orderId: alipayPayment.orderId })).toEqual([ids.a2, ids.a1]);
    expect(new Set(await idsOf({ paymentId: wechatPayment.id }))).toEqual(new Set([ids.w1, ids.w2]));
    expect(await idsOf({ paymentId: wechatPayment.id, states: ['PROCESSING'], channel: 'WECHATPAY' })).toEqual([ids.w1]);
    expect(await idsOf({ paymentId: wechatPayment.id, channel: 'ALIPAY' })).toEqual([]);
  });

  it('filters by when a refund was asked for: instants with their offset, from inclusive, to exclusive', async () => {
    // the Shanghai day of 2026-11-20
    expect(await idsOf({ from: '2026-11-20T00:00:00+08:00', to: '2026-11-21T00:00:00+08:00' })).toEqual([ids.a1]);
    // the same instant written in UTC
    expect(await idsOf({ from: '2026-11-20T02:00:00Z', to: '2026-11-20T02:00:00.001Z' })).toEqual([ids.a1]);
    expect(await idsOf({ to: '2026-11-20T10:00:00+08:00' })).toEqual([]);
    expect(await idsOf({ from: '2026-11-21T00:00:00+08:00', to: '2026-12-03T00:00:00+08:00' })).toHaveLength(2);
    expect(await idsOf({ from: '2026-12-02T08:00:00.123Z' })).toHaveLength(3);
    // a time without its zone is not an instant
    const local = await h.gql(LIST, { token: tokA, variables: { f: { from: '2026-11-20T00:00:00' } } });
    expect(local.body.errors?.[0]).toBeDefined();
    const backwards = await h.gql(LIST, { token: tokA, variables: { f: { from: '2026-11-21T00:00:00Z', to: '2026-11-20T00:00:00Z' } } });
    expect(backwards.body.errors[0]).toMatchObject({ message: expect.stringContaining('before'), extensions: { code: 'BAD_USER_INPUT' } });
  });

  it('pages forwards and backwards through the same refunds in the same order, rows of one microsecond included', async () => {
    const all = await expectedOrder(tenantA);
    const forwards: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page = await list({ first: 1, after });
      forwards.push(...page.edges.map((e) => e.node.id));
      expect(page.pageInfo.hasPreviousPage).toBe(after !== null);
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(forwards).toEqual(all);
    const backwards: string[] = [];
    let before: string | null = null;
    for (;;) {
      const page = await list({ last: 1, before });
      backwards.unshift(...page.edges.map((e) => e.node.id));
      expect(page.pageInfo.hasNextPage).toBe(before !== null);
      if (!page.pageInfo.hasPreviousPage) break;
      before = page.pageInfo.startCursor;
    }
    expect(backwards).toEqual(all);
    // a filtered page keeps its filter
    const failedOrProcessing = await list({ f: { states: ['PROCESSING', 'FAILED'] }, first: 1 });
    const rest = await list({ f: { states: ['PROCESSING', 'FAILED'] }, first: 1, after: failedOrProcessing.pageInfo.endCursor });
    expect([...failedOrProcessing.edges, ...rest.edges].map((e) => e.node.id)).toEqual(all.filter((i) => i === ids.w1 || i === ids.w2));
    expect(rest.pageInfo.hasNextPage).toBe(false);
  });

  it("refuses a cursor it did not make (a payments cursor included), ids that aren't UUIDs, and callers without payment:read", async () => {
    const paymentsCursor = (await h.gql('{ payments(first: 1) { pageInfo { endCursor } } }', { token: tokA })).body.data.payments.pageInfo.endCursor;
    for (const after of ['nope', paymentsCursor]) {
      const r = await h.gql(LIST, { token: tokA, variables: { first: 1, after } });
      expect(r.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    }
    const badId = await h.gql(LIST, { token: tokA, variables: { f: { orderId: 'not-a-uuid' } } });
    expect(badId.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    const refunder = await h.token(tenantA, { permissions: ['payment:refund'] });
    const r = await h.gql(LIST, { token: refunder, variables: {} });
    expect(r.body.errors[0].extensions.code).toBe('FORBIDDEN');
  });

  it('a driver (SELF scope) sees only the refunds of the payments they made', async () => {
    const driver = await h.token(tenantA, { subject: 'driver-refunds', dataScope: 'SELF', permissions: ['payment:read', 'order:write'] });
    const mine = await paid(tenantA, driver, 'ALIPAY_QR');
    const r = await refund(mine.id, 50, tokA);
    expect(await idsOf(null, driver)).toEqual([r.id]);
  });
});
