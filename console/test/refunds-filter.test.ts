import { describe, expect, it } from 'vitest';
import { refundFilterOf, refundTag } from '../src/views/payments/format';

describe("the refunds list's filter, read from its URL", () => {
  it('is empty for an empty URL', () => {
    expect(refundFilterOf({})).toEqual({ filter: {}, states: [], channel: undefined, from: undefined, to: undefined });
  });

  it('keeps the known states (each once) and channel, and drops what a hand-edited URL adds', () => {
    const r = refundFilterOf({ state: 'FAILED,PROCESSING,FAILED,REVERSED', channel: 'PAYPAL' });
    expect(r.filter).toEqual({ states: ['FAILED', 'PROCESSING'] });
    expect(refundFilterOf({ state: 'SUCCEEDED', channel: 'WECHATPAY' }).filter).toEqual({ states: ['SUCCEEDED'], channel: 'WECHATPAY' });
    expect(refundFilterOf({ state: ['SUCCEEDED'] }).filter).toEqual({});
  });

  it('sends the range as UTC instants, whatever offset the URL wrote them with, and no range that is not a time', () => {
    const r = refundFilterOf({ from: '2026-12-01T00:00:00+08:00', to: '2026-12-08T00:00:00.000Z' });
    expect(r.filter).toEqual({ from: '2026-11-30T16:00:00.000Z', to: '2026-12-08T00:00:00.000Z' });
    expect(refundFilterOf({ from: 'last week', to: '' }).filter).toEqual({});
  });

  it('shows processing as pending attention and failed as an alert', () => {
    expect([refundTag('PROCESSING'), refundTag('SUCCEEDED'), refundTag('FAILED')]).toEqual(['warning', 'success', 'danger']);
  });
});
