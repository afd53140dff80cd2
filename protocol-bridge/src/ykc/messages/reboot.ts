/**
 * Remote reboot.
 * 0x92 down: pile BCD7 | when u8 (0x01 now, 0x02 once idle)
 * 0x91 up:   pile BCD7 | result u8 (0x00 failed, 0x01 accepted)
 */
import { BodyReader, BodyWriter } from '../codec';
import { defineMessage, PILE_BYTES } from './types';

export interface Reboot {
  pileNo: string;
  when: 'now' | 'idle';
}

export const reboot = defineMessage<Reboot>({
  type: 0x92,
  name: 'reboot',
  direction: 'down',
  decode(body) {
    const r = new BodyReader(body);
    const pileNo = r.bcd(PILE_BYTES);
    const when = r.u8() === 2 ? 'idle' : 'now';
    r.end();
    return { pileNo, when };
  },
  encode: (m) =>
    new BodyWriter()
      .bcd(m.pileNo, PILE_BYTES)
      .u8(m.when === 'idle' ? 2 : 1)
      .build(),
});

export interface RebootReply {
  pileNo: string;
  accepted: boolean;
}

export const rebootReply = defineMessage<RebootReply>({
  type: 0x91,
  name: 'reboot reply',
  direction: 'up',
  decode(body) {
    const r = new BodyReader(body);
    const m = { pileNo: r.bcd(PILE_BYTES), accepted: r.u8() === 1 };
    r.end();
    return m;
  },
  encode: (m) =>
    new BodyWriter()
      .bcd(m.pileNo, PILE_BYTES)
      .u8(m.accepted ? 1 : 0)
      .build(),
});
