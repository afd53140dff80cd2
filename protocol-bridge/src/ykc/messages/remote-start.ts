/**
 * Remote start (v1.6).
 * 0x34 down: serial BCD16 | pile BCD7 | gun BCD1 | logicalCard BCD8 | physicalCard BCD8 | balance u32 (yuan ×100)
 * 0x33 up:   serial BCD16 | pile BCD7 | gun BCD1 | started u8 (0 failed, 1 ok)
 *            | reason u8 (0 none, 1 pile number mismatch, 2 already charging, 3 fault, 4 offline, 5 gun not plugged in)
 * A transaction record 0x3B follows every start command, even a failed one.
 */
import { BodyReader, BodyWriter } from '../codec';
import { defineMessage, GUN_BYTES, PILE_BYTES, SERIAL_BYTES } from './types';

export interface RemoteStart {
  serial: string;
  pileNo: string;
  gunNo: string;
  logicalCard: string;
  physicalCard: string;
  balanceX100: number;
}

export const remoteStart = defineMessage<RemoteStart>({
  type: 0x34,
  name: 'remote start',
  direction: 'down',
  decode(body) {
    const r = new BodyReader(body);
    const m = {
      serial: r.bcd(SERIAL_BYTES),
      pileNo: r.bcd(PILE_BYTES),
      gunNo: r.bcd(GUN_BYTES),
      logicalCard: r.bcd(8),
      physicalCard: r.bcd(8),
      balanceX100: r.u32(),
    };
    r.end();
    return m;
  },
  encode: (m) =>
    new BodyWriter()
      .bcd(m.serial, SERIAL_BYTES)
      .bcd(m.pileNo, PILE_BYTES)
      .bcd(m.gunNo, GUN_BYTES)
      .bcd(m.logicalCard, 8)
      .bcd(m.physicalCard, 8)
      .u32(m.balanceX100)
      .build(),
});

export const REMOTE_START_FAILURES: Record<number, string> = {
  // failed without one of the listed reasons (piles answer so for a zero balance, for one)
  0: 'REFUSED',
  1: 'PILE_NUMBER_MISMATCH',
  2: 'ALREADY_CHARGING',
  3: 'FAULT',
  4: 'OFFLINE',
  5: 'GUN_NOT_PLUGGED_IN',
};

export interface RemoteStartReply {
  serial: string;
  pileNo: string;
  gunNo: string;
  started: boolean;
  reason: number;
}

export const remoteStartReply = defineMessage<RemoteStartReply>({
  type: 0x33,
  name: 'remote start reply',
  direction: 'up',
  decode(body) {
    const r = new BodyReader(body);
    const m = { serial: r.bcd(SERIAL_BYTES), pileNo: r.bcd(PILE_BYTES), gunNo: r.bcd(GUN_BYTES), started: r.u8() === 1, reason: r.u8() };
    r.end();
    return m;
  },
  encode: (m) =>
    new BodyWriter()
      .bcd(m.serial, SERIAL_BYTES)
      .bcd(m.pileNo, PILE_BYTES)
      .bcd(m.gunNo, GUN_BYTES)
      .u8(m.started ? 1 : 0)
      .u8(m.reason)
      .build(),
});
