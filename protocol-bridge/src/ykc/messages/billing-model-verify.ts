/**
 * Billing-model verification: is the pile's model still current?
 * 0x05 up:   pile BCD7 | modelNo BCD2 (0000 on first connection)
 * 0x06 down: pile BCD7 | modelNo BCD2 | result u8 (0x00 current, 0x01 outdated → pile sends 0x09)
 */
import { BodyReader, BodyWriter } from '../codec';
import { defineMessage, PILE_BYTES } from './types';

export interface BillingModelVerify {
  pileNo: string;
  modelNo: string;
}

export const billingModelVerify = defineMessage<BillingModelVerify>({
  type: 0x05,
  name: 'billing model verify',
  direction: 'up',
  decode(body) {
    const r = new BodyReader(body);
    const m = { pileNo: r.bcd(PILE_BYTES), modelNo: r.bcd(2) };
    r.end();
    return m;
  },
  encode: (m) => new BodyWriter().bcd(m.pileNo, PILE_BYTES).bcd(m.modelNo, 2).build(),
});

export interface BillingModelVerifyReply {
  pileNo: string;
  modelNo: string;
  current: boolean;
}

export const billingModelVerifyReply = defineMessage<BillingModelVerifyReply>({
  type: 0x06,
  name: 'billing model verify reply',
  direction: 'down',
  decode(body) {
    const r = new BodyReader(body);
    const m = { pileNo: r.bcd(PILE_BYTES), modelNo: r.bcd(2), current: r.u8() === 0 };
    r.end();
    return m;
  },
  encode: (m) =>
    new BodyWriter()
      .bcd(m.pileNo, PILE_BYTES)
      .bcd(m.modelNo, 2)
      .u8(m.current ? 0 : 1)
      .build(),
});
