/**
 * Login.
 * 0x01 up:   pile BCD7 | pileType u8 (0 DC, 1 AC) | guns u8 | protocolVersion u8 (×10: 0x10 = v1.6)
 *            | programVersion ASCII8 | network u8 (0 SIM, 1 LAN, 2 WAN, 3 other) | sim BCD10 | carrier u8
 * 0x02 down: pile BCD7 | result u8 (0x00 accepted, 0x01 refused)
 */
import { BodyReader, BodyWriter } from '../codec';
import { defineMessage, PILE_BYTES } from './types';

export interface LoginRequest {
  pileNo: string;
  pileType: number;
  guns: number;
  protocolVersion: number;
  programVersion: string;
  network: number;
  sim: string;
  carrier: number;
}

export const loginRequest = defineMessage<LoginRequest>({
  type: 0x01,
  name: 'login',
  direction: 'up',
  decode(body) {
    const r = new BodyReader(body);
    const m: LoginRequest = {
      pileNo: r.bcd(PILE_BYTES),
      pileType: r.u8(),
      guns: r.u8(),
      protocolVersion: r.u8(),
      programVersion: r.ascii(8),
      network: r.u8(),
      sim: r.bcd(10),
      carrier: r.u8(),
    };
    r.end();
    return m;
  },
  encode: (m) =>
    new BodyWriter()
      .bcd(m.pileNo, PILE_BYTES)
      .u8(m.pileType)
      .u8(m.guns)
      .u8(m.protocolVersion)
      .ascii(m.programVersion, 8)
      .u8(m.network)
      .bcd(m.sim, 10)
      .u8(m.carrier)
      .build(),
});

export interface LoginReply {
  pileNo: string;
  accepted: boolean;
}

export const loginReply = defineMessage<LoginReply>({
  type: 0x02,
  name: 'login reply',
  direction: 'down',
  decode(body) {
    const r = new BodyReader(body);
    const m = { pileNo: r.bcd(PILE_BYTES), accepted: r.u8() === 0 };
    r.end();
    return m;
  },
  encode: (m) =>
    new BodyWriter()
      .bcd(m.pileNo, PILE_BYTES)
      .u8(m.accepted ? 0 : 1)
      .build(),
});
