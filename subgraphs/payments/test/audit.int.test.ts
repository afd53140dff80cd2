import { randomUUID } from 'node:crypto';
import { auditLogQuery, eventually, failInsertsFor } from '@evcs/testkit';
import { ALL_PERMISSIONS, CREATE, Harness, PAYMENT, REFUND, startHarness } from './harness';

const LOG = auditLogQuery('paymentAuditLog');
const key = () => `key-${randomUUID()}`;

/** Refunds and their audit entries: one transaction each; the log behind audit:read. */
describe('payments audit trail (real Postgres, real channel sandboxes)', () => {
  let h: Harness;
  const tenant = randomUUID();

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  const paid = async (tenantId: string, amount: number) => {
    const tok = await h.token(tenantId);
    const r = await h.gql(CREATE, {
      token: tok,
      variables: { i: { orderId: await h.payableOrder(tenantId, amount), method: 'ALIPAY_QR', idempotencyKey: key() } },
    });
    const p = r.body.data.createPayment.payment;
    h.alipay.pay(p.outTradeNo);
    await eventually(async () => (await h.gql(PAYMENT, { token: tok, variables: { id: p.id } })).body.data.payment.state === 'SUCCEEDED');
    return p.id as string;
  };
  const refund = async (tenantId: string, paymentId: string, amountMinor: number, token?: string) =>
    h.gql(REFUND, { token: token ?? (await h.token(tenantId)), variables: { i: { paymentId, amountMinor, reason: 'unused energy', idempotencyKey: key() } } });
  const log = async (tenantId: string, filter: Record<string, unknown> = {}) => {
    const r = await h.gql(LOG, { token: await h.token(tenantId, { permissions: ['audit:read'] }), variables: { filter } });
    expect(r.body.errors).toBeUndefined();
    return r.body.data.paymentAuditLog.edges.map((e: { node: Record<string, unknown> }) => e.node) as Record<string, any>[];
  };

  it('records a refund requested by its user (request id, client address) and its success as the channel’s word', async () => {
    const paymentId = await paid(tenant, 1000);
    const tok = await h.token(tenant, { subject: 'finance-1', request: { requestId: 'req-refund-1', clientIp: '192.0.2.10' } });
    const r = await refund(tenant, paymentId, 300, tok);
    const refundId = r.body.data.refundPayment.refund.id as string;
    expect(r.body.data.refundPayment.refund.state).toBe('SUCCEEDED');
    const entries = await log(tenant, { targetType: 'refund', targetId: refundId });
    expect(entries.map((e) => e.action)).toEqual(['REFUND_SUCCEEDED', 'REFUND_REQUESTED']);
    expect(entries[1]).toMatchObject({
      actorType: 'USER',
      actorId: 'finance-1',
      requestId: 'req-refund-1',
      clientAddress: '192.0.2.10',
      after: { paymentId, amountMinor: 300, currency: 'CNY', state: 'PROCESSING' },
      details: { reason: 'unused energy' },
    });
    expect(entries[0]).toMatchObject({
      actorType: 'SERVICE',
      actorId: 'payments',
      before: { state: 'PROCESSING' },
      after: { state: 'SUCCEEDED', amountMinor: 300 },
      details: { paymentId, channel: 'ALIPAY', via: 'CHANNEL_RESPONSE' },
    });
  });

  it('records a refund that fails at the channel', async () => {
    const paymentId = await paid(tenant, 500);
    // Alipay unreachable: the refund stays PROCESSING; the settlement loop's answer (FAILED) arrives later.
    h.alipay.setFault('http500');
    let refundId: string;
    try {
      const r = await refund(tenant, paymentId, 200);
      expect(r.body.data.refundPayment.refund.state).toBe('PROCESSING');
      refundId = r.body.data.refundPayment.refund.id;
    } finally {
      h.alipay.setFault('none');
    }
    const outRefundNo = (await h.owner('payments.refunds').where('id', refundId).first()).out_refund_no as string;
    expect(await h.store.applyRefundResult(tenant, { outRefundNo, state: 'FAILED', channelRefundNo: null, failureReason: 'account frozen' })).toBe('APPLIED');
    const entries = await log(tenant, { targetId: refundId });
    expect(entries.map((e) => e.action)).toEqual(['REFUND_FAILED', 'REFUND_REQUESTED']);
    expect(entries[0]).toMatchObject({ after: { state: 'FAILED' }, details: { failureReason: 'account frozen' } });
    expect((await log(tenant, { action: 'REFUND_FAILED' })).map((e) => e.targetId)).toEqual([refundId]);
  });

  it('a refund is reserved only with its audit entry', async () => {
    const doomed = randomUUID();
    const paymentId = await paid(doomed, 800);
    await failInsertsFor(h.db, 'payments.audit_entries', doomed);
    const r = await refund(doomed, paymentId, 100);
    expect(r.body.errors[0].extensions.code).toBe('INTERNAL_SERVER_ERROR');
    const p = (await h.gql(PAYMENT, { token: await h.token(doomed), variables: { id: paymentId } })).body.data.payment;
    expect(p).toMatchObject({ refundedAmount: { minor: 0 }, refunds: [] });
  });

  it('needs audit:read, and shows only the caller’s tenant', async () => {
    const r = await h.gql(LOG, { token: await h.token(tenant, { permissions: ALL_PERMISSIONS }) });
    expect(r.body.errors[0].extensions.code).toBe('FORBIDDEN');
    expect(await log(randomUUID())).toEqual([]);
  });
});
