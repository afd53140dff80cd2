import { parseTradeBill } from '../src/channels';
import { fenToYuan, yuanToFen } from '../src/channels/yuan';
import type { PaymentRecord } from '../src/domain/ports';
import { reconcile } from '../src/domain/reconcile';
import { formatShanghaiDateTime, parseShanghaiDateTime, shanghaiDate, shanghaiDayRange } from '../src/domain/time';

describe('money at the channel edge', () => {
  it.each([
    [0, '0.00'],
    [1, '0.01'],
    [10, '0.10'],
    [1234, '12.34'],
    [100000000, '1000000.00'],
    [-250, '-2.50'],
  ])('%i fen is "%s" and back', (fen, yuan) => {
    expect(fenToYuan(fen)).toBe(yuan);
    expect(yuanToFen(yuan)).toBe(fen);
  });
  it('reads shorter yuan forms exactly and refuses the rest', () => {
    expect(yuanToFen('12.3')).toBe(1230);
    expect(yuanToFen('12')).toBe(1200);
    expect(yuanToFen('0.29')).toBe(29); // 0.29 * 100 is 28.999… in floating point
    for (const bad of ['12.345', '1e3', '', 'abc', '12.', '.5', '1,000.00']) expect(yuanToFen(bad)).toBeNull();
  });
});

describe('Asia/Shanghai times', () => {
  it('formats and parses Alipay times with the +08:00 offset', () => {
    const d = new Date('2026-11-24T16:30:05Z');
    expect(formatShanghaiDateTime(d)).toBe('2026-11-25 00:30:05');
    expect(shanghaiDate(d)).toBe('2026-11-25');
    expect(parseShanghaiDateTime('2026-11-25 00:30:05')?.toISOString()).toBe('2026-11-24T16:30:05.000Z');
    expect(parseShanghaiDateTime('2026-11-25T00:30:05')).toBeNull();
    expect(shanghaiDayRange('2026-11-25')).toEqual({ from: new Date('2026-11-24T16:00:00Z'), to: new Date('2026-11-25T16:00:00Z') });
  });
});

describe('statement parsers', () => {
  it('reads the WeChat Pay tradebill with backtick-prefixed fields and stops at the summary', () => {
    const text = [
      '交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注',
      '`2026-11-24 10:00:00,`wx1,`19,`0,`,`4200001,`bbb,`o1,`NATIVE,`SUCCESS,`OTHERS,`CNY,`15.00,`0.00,`0,`0,`0.00,`0.00,`,`,`x,`,`0.09,`0.60%,`15.00,`0.00,`',
      '`2026-11-24 12:00:00,`wx1,`19,`0,`,`4200001,`bbb,`o1,`NATIVE,`REFUND,`OTHERS,`CNY,`0.00,`0.00,`5030,`Rbbb,`5.00,`0.00,`ORIGINAL,`SUCCESS,`x,`,`0.00,`0.60%,`0.00,`5.00,`',
      '总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额',
      '`2,`15.00,`5.00,`0.00,`0.09,`15.00,`5.00',
    ].join('\r\n');
    expect(parseTradeBill(text)).toEqual([
      { kind: 'PAYMENT', outTradeNo: 'bbb', outRefundNo: null, channelTradeNo: '4200001', amount: 1500, at: new Date('2026-11-24T02:00:00Z') },
      { kind: 'REFUND', outTradeNo: 'bbb', outRefundNo: 'Rbbb', channelTradeNo: '4200001', amount: 500, at: new Date('2026-11-24T04:00:00Z') },
    ]);
  });
});

describe('reconcile', () => {
  const at = new Date('2026-11-24T02:00:00Z');
  const payment = (o: Partial<PaymentRecord>): PaymentRecord => ({
    id: 'p',
    tenantId: 't',
    orderId: 'o',
    stationId: null,
    idempotencyKey: 'k',
    channel: 'ALIPAY',
    method: 'ALIPAY_QR',
    outTradeNo: 'n',
    amount: 100,
    refunded: 0,
    currency: 'CNY',
    state: 'SUCCEEDED',
    channelTradeNo: null,
    clientParams: null,
    flags: [],
    failureReason: null,
    createdBy: 'u',
    createdAt: at,
    updatedAt: at,
    paidAt: at,
    closedAt: null,
    ...o,
  });
  it('matches and classifies', () => {
    const r = reconcile(
      '2026-11-24',
      [
        { kind: 'PAYMENT', outTradeNo: 'ok', outRefundNo: null, channelTradeNo: 'c', amount: 100, at },
        { kind: 'PAYMENT', outTradeNo: 'amt', outRefundNo: null, channelTradeNo: 'c', amount: 99, at },
        { kind: 'PAYMENT', outTradeNo: 'state', outRefundNo: null, channelTradeNo: 'c', amount: 100, at },
        { kind: 'PAYMENT', outTradeNo: 'unknown', outRefundNo: null, channelTradeNo: 'c', amount: 5, at },
      ],
      {
        payments: [
          payment({ id: '1', outTradeNo: 'ok' }),
          payment({ id: '2', outTradeNo: 'amt' }),
          payment({ id: '3', outTradeNo: 'state', state: 'PAYING', paidAt: null }),
          payment({ id: '4', outTradeNo: 'gone' }),
        ],
        refunds: [],
      },
    );
    expect(r.matched).toBe(1);
    expect(r.discrepancies.map((d) => [d.kind, d.outTradeNo])).toEqual([
      ['AMOUNT_MISMATCH', 'amt'],
      ['STATUS_MISMATCH', 'state'],
      ['MISSING_LOCALLY', 'unknown'],
      ['MISSING_AT_CHANNEL', 'gone'],
    ]);
  });
  it('does not expect a line for a success of another day', () => {
    const r = reconcile('2026-11-25', [], { payments: [payment({ outTradeNo: 'x' })], refunds: [] });
    expect(r.discrepancies).toEqual([]);
  });
});
