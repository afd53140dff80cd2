/**
 * Card start (v1.5/1.6): the pile asks the platform to authorise a start a driver made at the pile
 * (card, account or VIN), and the platform answers with the card's permission.
 * 0x31 up:   pile BCD7 | gun BCD1 | startMode u8 (1 card, 2 account, 3 VIN) | needsPassword u8 (0 no, 1 yes)
 *            | card 8 (account or physical card number, BIN, zero-padded) | password 16 (MD5 of what the driver typed) | vin ASCII17
 * 0x32 down: serial BCD16 | pile BCD7 | gun BCD1 | logicalCard BCD8 | balance u32 (yuan ×100) | authorised u8 (0 no, 1 yes)
 *            | reason u8 (see CARD_START_REFUSALS; 0 when authorised)
 * An authorised start runs under the serial the platform issued here; its 0x3B record carries it.
 */
import { BodyReader, BodyWriter } from '../codec';
import { defineMessage, GUN_BYTES, PILE_BYTES, SERIAL_BYTES } from './types';

export const CARD_START_MODES = { CARD: 1, ACCOUNT: 2, VIN: 3 } as const;

export interface CardStartRequest {
  pileNo: string;
  gunNo: string;
  startMode: number;
  needsPassword: boolean;
  card: Buffer;
  password: Buffer;
  vin: string;
}

export const cardStartRequest = defineMessage<CardStartRequest>({
  type: 0x31,
  name: 'card start request',
  direction: 'up',
  decode(body) {
    const r = new BodyReader(body);
    const m = {
      pileNo: r.bcd(PILE_BYTES),
      gunNo: r.bcd(GUN_BYTES),
      startMode: r.u8(),
      needsPassword: r.u8() === 1,
      card: r.bytes(8),
      password: r.bytes(16),
      vin: r.ascii(17),
    };
    r.end();
    return m;
  },
  encode: (m) =>
    new BodyWriter()
      .bcd(m.pileNo, PILE_BYTES)
      .bcd(m.gunNo, GUN_BYTES)
      .u8(m.startMode)
      .u8(m.needsPassword ? 1 : 0)
      .bytes(m.card, 8)
      .bytes(m.password, 16)
      .ascii(m.vin, 17)
      .build(),
});

/** 0x32 failure reasons, as the document numbers them. */
export const CARD_START_REFUSALS = {
  ACCOUNT_UNKNOWN: 0x01,
  ACCOUNT_FROZEN: 0x02,
  BALANCE_INSUFFICIENT: 0x03,
  CARD_HAS_UNSETTLED_RECORD: 0x04,
  PILE_DISABLED: 0x05,
  NOT_ALLOWED_ON_THIS_PILE: 0x06,
  WRONG_PASSWORD: 0x07,
  STATION_CAPACITY_INSUFFICIENT: 0x08,
  VIN_UNKNOWN: 0x09,
  PILE_HAS_UNSETTLED_RECORD: 0x0a,
  CARD_NOT_SUPPORTED: 0x0b,
} as const;

export interface CardStartReply {
  serial: string;
  pileNo: string;
  gunNo: string;
  logicalCard: string;
  balanceX100: number;
  authorised: boolean;
  reason: number;
}

export const cardStartReply = defineMessage<CardStartReply>({
  type: 0x32,
  name: 'card start reply',
  direction: 'down',
  decode(body) {
    const r = new BodyReader(body);
    const m = {
      serial: r.bcd(SERIAL_BYTES),
      pileNo: r.bcd(PILE_BYTES),
      gunNo: r.bcd(GUN_BYTES),
      logicalCard: r.bcd(8),
      balanceX100: r.u32(),
      authorised: r.u8() === 1,
      reason: r.u8(),
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
      .u32(m.balanceX100)
      .u8(m.authorised ? 1 : 0)
      .u8(m.reason)
      .build(),
});
