/**
 * Set billing model, pushed by the platform.
 * 0x58 down: billing model (see billing-model.ts)
 * 0x57 up:   pile BCD7 | result u8 (0x00 failed, 0x01 applied)
 */
import { BodyReader, BodyWriter } from '../codec';
import { BillingModel, decodeBillingModel, encodeBillingModel } from './billing-model';
import { defineMessage, PILE_BYTES } from './types';

export const setBillingModel = defineMessage<BillingModel>({
  type: 0x58,
  name: 'set billing model',
  direction: 'down',
  decode: decodeBillingModel,
  encode: encodeBillingModel,
});

export interface SetBillingModelReply {
  pileNo: string;
  applied: boolean;
}

export const setBillingModelReply = defineMessage<SetBillingModelReply>({
  type: 0x57,
  name: 'set billing model reply',
  direction: 'up',
  decode(body) {
    const r = new BodyReader(body);
    const m = { pileNo: r.bcd(PILE_BYTES), applied: r.u8() === 1 };
    r.end();
    return m;
  },
  encode: (m) =>
    new BodyWriter()
      .bcd(m.pileNo, PILE_BYTES)
      .u8(m.applied ? 1 : 0)
      .build(),
});
