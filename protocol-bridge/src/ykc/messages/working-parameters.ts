/**
 * Working parameters (充电桩工作参数设置), platform to pile.
 * 0x52 down: pile BCD7 | work u8 (0x00 may work, 0x01 locked: no session starts) | max output u8 (percent of rated power, 30..100)
 * 0x51 up:   pile BCD7 | result u8 (0x00 failed, 0x01 set)
 * Checked against public implementations of V1.6 (session 12): the 0x52 layout agrees with both
 * found; for 0x51 a pile firmware answers 0x00 when it could not apply the setting, as here, while
 * one platform library documents the codes the other way round — the pile's side is followed.
 */
import { BodyReader, BodyWriter } from '../codec';
import { defineMessage, PILE_BYTES } from './types';

export interface WorkingParameters {
  pileNo: string;
  /** false: the pile is locked (0x01 on the wire) */
  enabled: boolean;
  maxOutputPercent: number;
}

export const workingParameters = defineMessage<WorkingParameters>({
  type: 0x52,
  name: 'working parameters',
  direction: 'down',
  decode(body) {
    const r = new BodyReader(body);
    const m = { pileNo: r.bcd(PILE_BYTES), enabled: r.u8() === 0, maxOutputPercent: r.u8() };
    r.end();
    return m;
  },
  encode: (m) =>
    new BodyWriter()
      .bcd(m.pileNo, PILE_BYTES)
      .u8(m.enabled ? 0 : 1)
      .u8(m.maxOutputPercent)
      .build(),
});

export interface WorkingParametersReply {
  pileNo: string;
  applied: boolean;
}

export const workingParametersReply = defineMessage<WorkingParametersReply>({
  type: 0x51,
  name: 'working parameters reply',
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
