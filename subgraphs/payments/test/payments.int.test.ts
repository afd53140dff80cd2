import { randomUUID } from 'node:crypto';
import { eventually } from '@evcs/testkit';
import { REJECTION_SAMPLES_PER_HOUR } from '../src/persistence/payment-store';
import { CREATE, Harness, PAYMENT, REFUND, startHarness } from './harness';

const key = () => `key-${randomUUID()}`;

describe('payments over GraphQL against the channel sandboxes', () => {
  let h: Harness;
  const tenantA = randomUUID();
  const tenantB = randomUUID();
  let tokA: string;
  let tokB: string;

  beforeAll(async () => {
    h = await startHarness();
    tokA = await h.token(tenantA);
    tokB = await h.token(tenantB);
  });
  afterAll(() => h?.stop());

  const create = async (orderId: string, method: string, o: { token?: string; idempotencyKey?: string; openId?: string } = {}) => {
    const r = await h.gql(CREATE, {
      token: o.token ?? tokA,
      variables: { i: { orderId, method, idempotencyKey: o.idempotencyKey ?? key(), openId: o.openId } },
    });
    expect(r.body.errors).toBeUndefined();
    return r.body.data.createPayment;
  };
  const paymentOf = async (id: string, token = tokA) => (await h.gql(PAYMENT, { token, variables: { id } })).body.data.payment;
  const count = async (sql: string, params: string[]) => Number((await h.owner.raw(sql, params)).rows[0].n);

  it('Alipay QR: created PAYING with a QR code; the signed notification marks it SUCCEEDED once, the order PAID, an outbox event', async () => {
    const orderId = await h.payableOrder(tenantA, 1234);
    const c = await create(orderId, 'ALIPAY_QR');
    expect(c.userErrors).toEqual([]);
    expect(c.payment).toMatchObject({ state: 'PAYING', channel: 'ALIPAY', amount: { minor: 1234, formatted: '12.34' } });
    expect(c.clientParams.qrCodeUrl).toMatch(/^https:\/\/qr\.alipay\.com\//);
    expect(h.alipay.trade(c.payment.outTradeNo)?.totalFen).toBe(1234);
    h.alipay.pay(c.payment.outTradeNo);
    await eventually(async () => (await paymentOf(c.payment.id)).state === 'SUCCEEDED', { what: 'payment succeeded' });
    expect((await paymentOf(c.payment.id)).channelTradeNo).toBe(h.alipay.trade(c.payment.outTradeNo)?.tradeNo);
    const order = await h.owner.raw('select status from payments.payable_orders where order_id = ?', [orderId]);
    expect(order.rows[0].status).toBe('PAID');
    expect(
      await count("select count(*) as n from payments.outbox where payload->>'paymentId' = ? and payload->>'type' = 'payment.succeeded'", [c.payment.id]),
    ).toBe(1);
    // a duplicate delivery of the same notification changes nothing
    h.alipay.renotify(c.payment.outTradeNo);
    await eventually(async () => h.alipay.trade(c.payment.outTradeNo)!.notifications[0].attempts >= 2);
    expect(await count('select count(*) as n from payments.notifications where out_trade_no = ?', [c.payment.outTradeNo])).toBe(1);
    expect(await count("select count(*) as n from payments.outbox where payload->>'paymentId' = ?", [c.payment.id])).toBe(1);
  });

  it('Alipay APP: a signed order string; WeChat Native: a code URL; WeChat JSAPI: paySign, and needs the openId', async () => {
    const app = await create(await h.payableOrder(tenantA, 500), 'ALIPAY_APP');
    expect(app.clientParams.orderString).toContain('method=alipay.trade.app.pay');
    expect(app.clientParams.orderString).toContain('sign=');
    const native = await create(await h.payableOrder(tenantA, 500), 'WECHAT_NATIVE');
    expect(native.clientParams.qrCodeUrl).toMatch(/^weixin:\/\//);
    const noOpenId = await create(await h.payableOrder(tenantA, 500), 'WECHAT_JSAPI');
    expect(noOpenId.userErrors[0]).toMatchObject({ code: 'INVALID_INPUT', field: 'openId' });
    const jsapi = await create(await h.payableOrder(tenantA, 500), 'WECHAT_JSAPI', { openId: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' });
    expect(jsapi.clientParams.jsapi).toMatchObject({ signType: 'RSA', appId: h.wechat.credentials.appId });
    expect(jsapi.clientParams.jsapi.package).toMatch(/^prepay_id=/);
    h.wechat.pay(native.payment.outTradeNo);
    await eventually(async () => (await paymentOf(native.payment.id)).state === 'SUCCEEDED', { what: 'wechat payment succeeded' });
  });

  it('createPayment is idempotent by the client key, also under concurrency; a reused key for another order is refused', async () => {
    const orderId = await h.payableOrder(tenantA, 800);
    const k = key();
    const results = await Promise.all(Array.from({ length: 8 }, () => create(orderId, 'WECHAT_NATIVE', { idempotencyKey: k })));
    const ids = new Set(results.map((r) => r.payment?.id));
    expect(ids.size).toBe(1);
    expect(results.every((r) => r.userErrors.length === 0 && r.clientParams.qrCodeUrl)).toBe(true);
    expect(await count('select count(*) as n from payments.payments where idempotency_key = ?', [k])).toBe(1);
    const other = await create(await h.payableOrder(tenantA, 800), 'WECHAT_NATIVE', { idempotencyKey: k });
    expect(other.userErrors[0].code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('refuses orders it has not seen completed, and needs order:write', async () => {
    expect((await create(randomUUID(), 'ALIPAY_QR')).userErrors[0].code).toBe('ORDER_NOT_PAYABLE');
    const reader = await h.token(tenantA, { permissions: ['payment:read'] });
    const r = await h.gql(CREATE, {
      token: reader,
      variables: { i: { orderId: await h.payableOrder(tenantA, 100), method: 'ALIPAY_QR', idempotencyKey: key() } },
    });
    expect(r.body.errors[0].extensions.code).toBe('FORBIDDEN');
    expect((await h.gql('{ payments { edges { node { id } } } }')).status).toBe(401);
  });

  it('rejects and counts forged notifications (both channels), and never changes a payment for them', async () => {
    const c = await create(await h.payableOrder(tenantA, 600), 'ALIPAY_QR');
    const rejectedSoFar = () => count('select coalesce(sum(rejected), 0) as n from payments.notification_rejection_counts', []);
    const before = await rejectedSoFar();
    const forged = new URLSearchParams({
      notify_id: 'x1',
      app_id: h.alipay.credentials.appId,
      sign_type: 'RSA2',
      sign: Buffer.alloc(256, 1).toString('base64'),
      out_trade_no: c.payment.outTradeNo,
      trade_status: 'TRADE_SUCCESS',
      total_amount: '6.00',
    });
    const ra = await fetch(`${h.baseUrl}/notify/alipay`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: forged.toString(),
    });
    expect(ra.status).toBe(400);
    expect(await ra.text()).toBe('fail');
    const rw = await fetch(`${h.baseUrl}/notify/wechatpay`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'wechatpay-serial': h.wechat.credentials.platformPublicKeyId,
        'wechatpay-timestamp': String(Math.floor(Date.now() / 1000)),
        'wechatpay-nonce': 'n',
        'wechatpay-signature': 'AAAA',
      },
      body: JSON.stringify({ id: 'forged', event_type: 'TRANSACTION.SUCCESS', resource: {} }),
    });
    expect(rw.status).toBe(401);
    expect(await rejectedSoFar()).toBe(before + 2);
    expect(h.srv.service.rejectedNotifications.ALIPAY).toBeGreaterThanOrEqual(1);
    expect(h.srv.service.rejectedNotifications.WECHATPAY).toBeGreaterThanOrEqual(1);
    expect((await paymentOf(c.payment.id)).state).toBe('PAYING');
  });

  it('counts every rejected notification but keeps only a bounded sample of them, however many arrive', async () => {
    const forged = new URLSearchParams({ notify_id: 'flood', app_id: h.alipay.credentials.appId, sign_type: 'RSA2', sign: 'AAAA', out_trade_no: 'x' });
    const counted = () => count("select coalesce(sum(rejected), 0) as n from payments.notification_rejection_counts where channel = 'ALIPAY'", []);
    const sampled = () => count("select count(*) as n from payments.notification_rejections where channel = 'ALIPAY'", []);
    const before = await counted();
    for (let i = 0; i < REJECTION_SAMPLES_PER_HOUR + 15; i++) {
      const r = await fetch(`${h.baseUrl}/notify/alipay`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: forged.toString(),
      });
      expect(r.status).toBe(400);
    }
    expect(await counted()).toBe(before + REJECTION_SAMPLES_PER_HOUR + 15);
    // at most the hour's sample (two hours if the test straddles one)
    expect(await sampled()).toBeLessThanOrEqual(2 * REJECTION_SAMPLES_PER_HOUR);
  });

  it('a WeChat refund notification naming another amount or another trade is flagged and never settles the refund', async () => {
    const paid = async (amount: number) => {
      const c = await create(await h.payableOrder(tenantA, amount), 'WECHAT_NATIVE');
      h.wechat.pay(c.payment.outTradeNo);
      await eventually(async () => (await paymentOf(c.payment.id)).state === 'SUCCEEDED', { what: 'paid' });
      return c.payment;
    };
    const other = await paid(900);
    for (const over of [{ refundFen: 1 }, { outTradeNo: other.outTradeNo }]) {
      const p = await paid(900);
      h.wechat.misstateRefundNotifications(over);
      try {
        const r = await h.gql(REFUND, { token: tokA, variables: { i: { paymentId: p.id, amountMinor: 400, reason: 'r', idempotencyKey: key() } } });
        expect(r.body.data.refundPayment.refund.state).toBe('PROCESSING');
        await eventually(
          async () =>
            (await count("select count(*) as n from payments.notifications where kind = 'REFUND' and outcome = 'MISMATCH' and out_trade_no = ?", [
              over.outTradeNo ?? p.outTradeNo,
            ])) > 0,
          {
            what: 'the misstated refund notification flagged',
          },
        );
      } finally {
        h.wechat.misstateRefundNotifications(null);
      }
      const after = await paymentOf(p.id);
      expect(after.refunds.map((x: any) => x.state)).toEqual(['PROCESSING']);
      expect(await count("select count(*) as n from payments.outbox where payload->>'paymentId' = ? and payload->>'type' = 'refund.succeeded'", [p.id])).toBe(
        0,
      );
    }
  });

  it('a notification with another amount is flagged and never marks the payment paid', async () => {
    const c = await create(await h.payableOrder(tenantA, 1000), 'WECHAT_NATIVE');
    h.wechat.pay(c.payment.outTradeNo, { notifyAmountFen: 1 });
    await eventually(async () => (await paymentOf(c.payment.id)).flags.includes('AMOUNT_MISMATCH'), { what: 'flag' });
    expect((await paymentOf(c.payment.id)).state).toBe('PAYING');
    expect(await count("select count(*) as n from payments.notifications where out_trade_no = ? and outcome = 'AMOUNT_MISMATCH'", [c.payment.outTradeNo])).toBe(
      1,
    );
  });

  it('out of order: a late CLOSED or WAITING after SUCCEEDED changes nothing; a late success on a closed payment is flagged', async () => {
    const c = await create(await h.payableOrder(tenantA, 700), 'ALIPAY_QR');
    const no = c.payment.outTradeNo;
    const n = (id: string) => ({ channel: 'ALIPAY' as const, notifyId: id });
    expect(
      await h.store.applyTradeResult(tenantA, {
        outTradeNo: no,
        state: 'SUCCEEDED',
        amount: 700,
        channelTradeNo: 't1',
        paidAt: new Date(),
        notification: n(`${no}-2`),
      }),
    ).toBe('APPLIED');
    expect(
      await h.store.applyTradeResult(tenantA, { outTradeNo: no, state: 'CLOSED', amount: 700, channelTradeNo: 't1', paidAt: null, notification: n(`${no}-1`) }),
    ).toBe('NO_CHANGE');
    expect(
      await h.store.applyTradeResult(tenantA, {
        outTradeNo: no,
        state: 'WAITING',
        amount: 700,
        channelTradeNo: 't1',
        paidAt: null,
        notification: n(`${no}-0`),
      }),
    ).toBe('NO_CHANGE');
    expect((await paymentOf(c.payment.id)).state).toBe('SUCCEEDED');
    const d = await create(await h.payableOrder(tenantA, 700), 'ALIPAY_QR');
    expect(
      await h.store.applyTradeResult(tenantA, { outTradeNo: d.payment.outTradeNo, state: 'CLOSED', amount: 700, channelTradeNo: null, paidAt: null }),
    ).toBe('APPLIED');
    expect(
      await h.store.applyTradeResult(tenantA, { outTradeNo: d.payment.outTradeNo, state: 'SUCCEEDED', amount: 700, channelTradeNo: 'x', paidAt: new Date() }),
    ).toBe('NO_CHANGE');
    expect((await paymentOf(d.payment.id)).flags).toContain('STATE_CONFLICT');
  });

  it('a lost notification is settled by an active status query (paid, and failed)', async () => {
    const paid = await create(await h.payableOrder(tenantA, 900), 'ALIPAY_QR');
    const failed = await create(await h.payableOrder(tenantA, 900), 'WECHAT_NATIVE');
    h.alipay.pay(paid.payment.outTradeNo, { notify: false });
    h.wechat.fail(failed.payment.outTradeNo);
    const r = await h.srv.service.settleDue(0);
    expect(r.errors).toBe(0);
    expect((await paymentOf(paid.payment.id)).state).toBe('SUCCEEDED');
    expect((await paymentOf(failed.payment.id)).state).toBe('FAILED');
    expect(
      await count("select count(*) as n from payments.outbox where payload->>'paymentId' = ? and payload->>'type' = 'payment.failed'", [failed.payment.id]),
    ).toBe(1);
  });

  it('an unpaid payment past its expiry is closed at the channel and here', async () => {
    const a = await create(await h.payableOrder(tenantA, 300), 'ALIPAY_QR');
    const w = await create(await h.payableOrder(tenantA, 300), 'WECHAT_NATIVE');
    const app = await create(await h.payableOrder(tenantA, 300), 'ALIPAY_APP'); // never handed to Alipay
    await h.srv.service.settleDue(0, { expireAfterMs: 0 });
    for (const p of [a, w, app]) expect((await paymentOf(p.payment.id)).state).toBe('CLOSED');
    expect(h.alipay.trade(a.payment.outTradeNo)?.status).toBe('TRADE_CLOSED');
    expect(h.wechat.trade(w.payment.outTradeNo)?.state).toBe('CLOSED');
    // a closed trade can no longer be paid at the channel
    expect(() => h.wechat.pay(w.payment.outTradeNo)).toThrow();
  });

  it('partial refunds sum to at most the paid amount; each is a record with its own state', async () => {
    const c = await create(await h.payableOrder(tenantA, 1000), 'ALIPAY_QR');
    h.alipay.pay(c.payment.outTradeNo);
    await eventually(async () => (await paymentOf(c.payment.id)).state === 'SUCCEEDED');
    const refund = async (amount: number, k = key()) =>
      (await h.gql(REFUND, { token: tokA, variables: { i: { paymentId: c.payment.id, amountMinor: amount, reason: 'unused energy', idempotencyKey: k } } }))
        .body.data.refundPayment;
    const k1 = key();
    const r1 = await refund(300, k1);
    expect(r1.userErrors).toEqual([]);
    expect(r1.refund).toMatchObject({ state: 'SUCCEEDED', amount: { minor: 300 } });
    expect((await refund(300, k1)).refund.id).toBe(r1.refund.id);
    expect((await refund(701)).userErrors[0].code).toBe('REFUND_EXCEEDS_PAID');
    expect((await refund(700)).refund.state).toBe('SUCCEEDED');
    expect((await refund(1)).userErrors[0].code).toBe('REFUND_EXCEEDS_PAID');
    const p = await paymentOf(c.payment.id);
    expect(p.refundedAmount.minor).toBe(1000);
    expect(p.refunds.map((r: any) => r.amount.minor).sort()).toEqual([300, 700]);
    const order = await h.owner.raw('select status from payments.payable_orders where order_id = (select order_id from payments.payments where id = ?)', [
      c.payment.id,
    ]);
    expect(order.rows[0].status).toBe('REFUNDED');
    expect(
      await count("select count(*) as n from payments.outbox where payload->>'paymentId' = ? and payload->>'type' = 'refund.succeeded'", [c.payment.id]),
    ).toBe(2);
    // fully refunded, Alipay closes the trade and notifies TRADE_CLOSED: a later state than ours, applied as no change
    await eventually(async () => h.alipay.trade(c.payment.outTradeNo)!.notifications.find((n) => n.status === 'TRADE_CLOSED')?.acknowledged, {
      what: 'TRADE_CLOSED acknowledged',
    });
    expect(await count("select count(*) as n from payments.notifications where out_trade_no = ? and outcome = 'NO_CHANGE'", [c.payment.outTradeNo])).toBe(1);
    expect((await paymentOf(c.payment.id)).state).toBe('SUCCEEDED');
  });

  it('concurrent refunds cannot exceed the paid amount; WeChat refunds settle by notification', async () => {
    const c = await create(await h.payableOrder(tenantA, 1000), 'WECHAT_NATIVE');
    h.wechat.pay(c.payment.outTradeNo);
    await eventually(async () => (await paymentOf(c.payment.id)).state === 'SUCCEEDED');
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        h.gql(REFUND, { token: tokA, variables: { i: { paymentId: c.payment.id, amountMinor: 400, reason: 'r', idempotencyKey: key() } } }),
      ),
    );
    const accepted = results.map((r) => r.body.data.refundPayment).filter((r) => r.userErrors.length === 0);
    expect(accepted).toHaveLength(2);
    expect(results.map((r) => r.body.data.refundPayment).filter((r) => r.userErrors[0]?.code === 'REFUND_EXCEEDS_PAID')).toHaveLength(3);
    expect(accepted.every((r) => r.refund.state === 'PROCESSING')).toBe(true);
    await eventually(async () => (await paymentOf(c.payment.id)).refunds.every((r: any) => r.state === 'SUCCEEDED'), { what: 'refund notifications' });
    expect((await paymentOf(c.payment.id)).refundedAmount.minor).toBe(800);
    expect(h.wechat.trade(c.payment.outTradeNo)!.refunds.reduce((s, r) => s + r.amountFen, 0)).toBe(800);
  });

  it('only a succeeded payment can be refunded', async () => {
    const c = await create(await h.payableOrder(tenantA, 100), 'ALIPAY_QR');
    const r = await h.gql(REFUND, { token: tokA, variables: { i: { paymentId: c.payment.id, amountMinor: 100, reason: 'r', idempotencyKey: key() } } });
    expect(r.body.data.refundPayment.userErrors[0].code).toBe('NOT_REFUNDABLE');
    const noPerm = await h.token(tenantA, { permissions: ['payment:read', 'order:write'] });
    const f = await h.gql(REFUND, { token: noPerm, variables: { i: { paymentId: c.payment.id, amountMinor: 100, reason: 'r', idempotencyKey: key() } } });
    expect(f.body.errors[0].extensions.code).toBe('FORBIDDEN');
  });

  it('a channel error is reported as such, never as a success', async () => {
    h.alipay.setFault('http500');
    try {
      const c = await create(await h.payableOrder(tenantA, 100), 'ALIPAY_QR');
      expect(c.payment).toBeNull();
      expect(c.userErrors[0].code).toBe('CHANNEL_UNAVAILABLE');
    } finally {
      h.alipay.setFault('none');
    }
  });

  it('tenants see only their own payments, and a notification finds the tenant from the trade, not the body', async () => {
    const c = await create(await h.payableOrder(tenantB, 300), 'ALIPAY_QR', { token: tokB });
    expect(await paymentOf(c.payment.id, tokA)).toBeNull();
    expect((await paymentOf(c.payment.id, tokB)).id).toBe(c.payment.id);
    const listA = await h.gql('{ payments(first: 500) { edges { node { id } } } }', { token: tokA });
    expect(listA.body.data.payments.edges.map((e: any) => e.node.id)).not.toContain(c.payment.id);
    h.alipay.pay(c.payment.outTradeNo);
    await eventually(async () => (await paymentOf(c.payment.id, tokB)).state === 'SUCCEEDED');
    const t = await h.owner.raw('select tenant_id from payments.notifications where out_trade_no = ?', [c.payment.outTradeNo]);
    expect(t.rows[0].tenant_id).toBe(tenantB);
  });

  it('a driver (SELF scope) sees only the payments they created, and no statements', async () => {
    const driver = await h.token(tenantA, { subject: 'driver-1', dataScope: 'SELF', permissions: ['payment:read', 'order:write'] });
    const mine = await create(await h.payableOrder(tenantA, 100), 'ALIPAY_QR', { token: driver });
    const list = await h.gql('{ payments(first: 500) { edges { node { id } } } }', { token: driver });
    expect(list.body.data.payments.edges.map((e: any) => e.node.id)).toEqual([mine.payment.id]);
    const st = await h.gql('{ statementRuns { id } }', { token: driver });
    expect(st.body.errors[0].extensions.code).toBe('FORBIDDEN');
  });

  it('pages payments with an opaque cursor', async () => {
    const first = await h.gql('{ payments(first: 2) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }', { token: tokA });
    const page1 = first.body.data.payments;
    expect(page1.edges).toHaveLength(2);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const next = await h.gql('query($a: String) { payments(first: 2, after: $a) { edges { node { id } } } }', {
      token: tokA,
      variables: { a: page1.pageInfo.endCursor },
    });
    const ids2 = next.body.data.payments.edges.map((e: any) => e.node.id);
    expect(ids2).toHaveLength(2);
    expect(ids2).not.toContain(page1.edges[0].node.id);
    const bad = await h.gql('{ payments(first: 2, after: "nope") { edges { node { id } } } }', { token: tokA });
    expect(bad.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });

  it('pages payments backwards (last/before) through the same payments in the same order', async () => {
    const all = (await h.gql('{ payments(first: 500) { edges { node { id } } } }', { token: tokA })).body.data.payments.edges.map((e: any) => e.node.id);
    expect(all.length).toBeGreaterThan(2);
    const back: string[] = [];
    let before: string | null = null;
    for (;;) {
      const r: { body: any } = await h.gql(
        'query($b: String) { payments(last: 2, before: $b) { edges { node { id } } pageInfo { hasPreviousPage hasNextPage startCursor } } }',
        { token: tokA, variables: { b: before } },
      );
      const c = r.body.data.payments;
      expect(c.pageInfo.hasNextPage).toBe(before !== null);
      back.unshift(...c.edges.map((e: any) => e.node.id));
      if (!c.pageInfo.hasPreviousPage) break;
      before = c.pageInfo.startCursor;
    }
    expect(back).toEqual(all);
    const mixed = await h.gql('{ payments(last: 2, first: 2) { edges { node { id } } } }', { token: tokA });
    expect(mixed.body.errors[0]).toMatchObject({ message: expect.stringContaining('not both'), extensions: { code: 'BAD_USER_INPUT' } });
  });
});
