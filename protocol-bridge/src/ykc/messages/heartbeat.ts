/**
 * Heartbeat, one per gun.
 * 0x03 up:   pile BCD7 | gun BCD1 | gunStatus u8 (0 normal, 1 fault)
 * 0x04 down: pile BCD7 | gun BCD1 | answer u8 (0)
 */
import { BodyReader, BodyWriter } from '../codec';
import { defineMessage, GUN_BYTES, PILE_BYTES } from './types';

export interface Heartbeat {
  pileNo: string;
  gunNo: string;
  faulted: boolean;
}

export const heartbeat = defineMessage<Heartbeat>({
  type: 0x03,
  name: 'heartbeat',
  direction: 'up',
  decode(body) {
    const r = new BodyReader(body);
    const m = { pileNo: r.bcd(PILE_BYTES), gunNo: r.bcd(GUN_BYTES), faulted: r.u8() === 1 };
    r.end();
    return m;
  },
  encode: (m) =>
    new BodyWriter()
      .bcd(m.pileNo, PILE_BYTES)
      .bcd(m.gunNo, GUN_BYTES)
      .u8(m.faulted ? 1 : 0)
      .build(),
});

export interface HeartbeatReply {
  pileNo: string;
  gunNo: string;
}

export const heartbeatReply = defineMessage<HeartbeatReply>({
  type: 0x04,
  name: 'heartbeat reply',
  direction: 'down',
  decode(body) {
    const r = new BodyReader(body);
    const m = { pileNo: r.bcd(PILE_BYTES), gunNo: r.bcd(GUN_BYTES) };
    r.u8();
    r.end();
    return m;
  },
  encode: (m) => new BodyWriter().bcd(m.pileNo, PILE_BYTES).bcd(m.gunNo, GUN_BYTES).u8(0).build(),
});
