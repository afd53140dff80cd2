/**
 * Remote stop.
 * 0x36 down: pile BCD7 | gun BCD1
 * 0x35 up:   pile BCD7 | gun BCD1 | stopped u8 (0 failed, 1 ok) | reason u8 (0 none, 1 pile number mismatch, 2 not charging, 3 other)
 */
import { BodyReader, BodyWriter } from '../codec';
import { defineMessage, GUN_BYTES, PILE_BYTES } from './types';

export interface RemoteStop {
  pileNo: string;
  gunNo: string;
}

export const remoteStop = defineMessage<RemoteStop>({
  type: 0x36,
  name: 'remote stop',
  direction: 'down',
  decode(body) {
    const r = new BodyReader(body);
    const m = { pileNo: r.bcd(PILE_BYTES), gunNo: r.bcd(GUN_BYTES) };
    r.end();
    return m;
  },
  encode: (m) => new BodyWriter().bcd(m.pileNo, PILE_BYTES).bcd(m.gunNo, GUN_BYTES).build(),
});

export const REMOTE_STOP_FAILURES: Record<number, string> = { 1: 'PILE_NUMBER_MISMATCH', 2: 'NOT_CHARGING', 3: 'OTHER' };

export interface RemoteStopReply {
  pileNo: string;
  gunNo: string;
  stopped: boolean;
  reason: number;
}

export const remoteStopReply = defineMessage<RemoteStopReply>({
  type: 0x35,
  name: 'remote stop reply',
  direction: 'up',
  decode(body) {
    const r = new BodyReader(body);
    const m = { pileNo: r.bcd(PILE_BYTES), gunNo: r.bcd(GUN_BYTES), stopped: r.u8() === 1, reason: r.u8() };
    r.end();
    return m;
  },
  encode: (m) =>
    new BodyWriter()
      .bcd(m.pileNo, PILE_BYTES)
      .bcd(m.gunNo, GUN_BYTES)
      .u8(m.stopped ? 1 : 0)
      .u8(m.reason)
      .build(),
});
