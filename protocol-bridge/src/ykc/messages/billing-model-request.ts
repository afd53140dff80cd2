/**
 * Billing-model request: the pile asks for its model (after 0x06 said outdated, or at start-up).
 * 0x09 up:   pile BCD7
 * 0x0A down: billing model (see billing-model.ts)
 */
import { BodyReader, BodyWriter } from '../codec';
import { BillingModel, decodeBillingModel, encodeBillingModel } from './billing-model';
import { defineMessage, PILE_BYTES } from './types';

export interface BillingModelRequest {
  pileNo: string;
}

export const billingModelRequest = defineMessage<BillingModelRequest>({
  type: 0x09,
  name: 'billing model request',
  direction: 'up',
  decode(body) {
    const r = new BodyReader(body);
    const m = { pileNo: r.bcd(PILE_BYTES) };
    r.end();
    return m;
  },
  encode: (m) => new BodyWriter().bcd(m.pileNo, PILE_BYTES).build(),
});

export const billingModelReply = defineMessage<BillingModel>({
  type: 0x0a,
  name: 'billing model reply',
  direction: 'down',
  decode: decodeBillingModel,
  encode: encodeBillingModel,
});
