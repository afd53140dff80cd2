import { describe, expect, it } from 'vitest';
import { oneOf, pageArgs } from '../src/paging';
import { remaining, shanghaiDate } from '../src/views/payments/format';

describe('payments screens formatting', () => {
  it('keeps what is left of a payment in minor units, with the currency decimals', () => {
    expect(remaining({ amount: { minor: 1234, formatted: '12.34', currency: 'CNY' }, refundedAmount: { minor: 50 } })).toBe('11.84 CNY');
    expect(remaining({ amount: { minor: 5, formatted: '0.05', currency: 'CNY' }, refundedAmount: { minor: 5 } })).toBe('0.00 CNY');
    expect(remaining({ amount: { minor: 1234, formatted: '1234', currency: 'JPY' }, refundedAmount: { minor: 34 } })).toBe('1200 JPY');
  });

  it('tells the Asia/Shanghai day of an instant, which may be the next UTC day', () => {
    expect(shanghaiDate(new Date('2026-12-03T15:59:59Z'))).toBe('2026-12-03');
    expect(shanghaiDate(new Date('2026-12-03T16:00:00Z'))).toBe('2026-12-04');
  });

  it('pages backwards from a before cursor, else forwards', () => {
    expect(pageArgs(20, undefined, undefined)).toEqual({ first: 20, after: null });
    expect(pageArgs(20, 'a', undefined)).toEqual({ first: 20, after: 'a' });
    expect(pageArgs(20, 'a', 'b')).toEqual({ last: 20, before: 'b' });
  });

  it('takes from a URL only the values it allows', () => {
    expect(oneOf('ALIPAY', ['ALIPAY', 'WECHATPAY'])).toBe('ALIPAY');
    expect(oneOf('PAYPAL', ['ALIPAY', 'WECHATPAY'])).toBeUndefined();
    expect(oneOf(['ALIPAY'], ['ALIPAY'])).toBeUndefined();
  });
});
