/**
 * Real-time data (every 15 s while charging, 5 min idle, and on request).
 * 0x12 down: pile BCD7 | gun BCD1
 * 0x13 up:   serial BCD16 | pile BCD7 | gun BCD1 | status u8 (0 offline, 1 fault, 2 idle, 3 charging)
 *            | gunReturned u8 (0 no, 1 yes, 2 unknown) | plugged u8 | voltage u16 (V ×10) | current u16 (A ×10)
 *            | gunTemp u8 (°C +50) | gunLineCode 8 | soc u8 (%) | batteryMaxTemp u8 (°C +50)
 *            | chargingMinutes u16 | remainingMinutes u16 | energy u32 (kWh ×10^4)
 *            | lossEnergy u32 (kWh ×10^4) | amount u32 (yuan ×10^4) | hardwareFaults u16 (bit flags)
 */
import { BodyReader, BodyWriter } from '../codec';
import { defineMessage, GUN_BYTES, PILE_BYTES, SERIAL_BYTES } from './types';

export interface ReadRealTimeData {
  pileNo: string;
  gunNo: string;
}

export const readRealTimeData = defineMessage<ReadRealTimeData>({
  type: 0x12,
  name: 'read real-time data',
  direction: 'down',
  decode(body) {
    const r = new BodyReader(body);
    const m = { pileNo: r.bcd(PILE_BYTES), gunNo: r.bcd(GUN_BYTES) };
    r.end();
    return m;
  },
  encode: (m) => new BodyWriter().bcd(m.pileNo, PILE_BYTES).bcd(m.gunNo, GUN_BYTES).build(),
});

export const GUN_STATUS = ['offline', 'fault', 'idle', 'charging'] as const;

export interface RealTimeData {
  serial: string;
  pileNo: string;
  gunNo: string;
  /** 0 offline, 1 fault, 2 idle, 3 charging. */
  status: number;
  gunReturned: number;
  plugged: boolean;
  /** Scaled integers as sent: V ×10, A ×10, °C offset by +50, kWh and yuan ×10^4. */
  voltageX10: number;
  currentX10: number;
  gunTempRaw: number;
  gunLineCode: Buffer;
  soc: number;
  batteryMaxTempRaw: number;
  chargingMinutes: number;
  remainingMinutes: number;
  energyX1e4: number;
  lossEnergyX1e4: number;
  amountX1e4: number;
  hardwareFaults: number;
}

export const realTimeData = defineMessage<RealTimeData>({
  type: 0x13,
  name: 'real-time data',
  direction: 'up',
  decode(body) {
    const r = new BodyReader(body);
    const m: RealTimeData = {
      serial: r.bcd(SERIAL_BYTES),
      pileNo: r.bcd(PILE_BYTES),
      gunNo: r.bcd(GUN_BYTES),
      status: r.u8(),
      gunReturned: r.u8(),
      plugged: r.u8() === 1,
      voltageX10: r.u16(),
      currentX10: r.u16(),
      gunTempRaw: r.u8(),
      gunLineCode: r.bytes(8),
      soc: r.u8(),
      batteryMaxTempRaw: r.u8(),
      chargingMinutes: r.u16(),
      remainingMinutes: r.u16(),
      energyX1e4: r.u32(),
      lossEnergyX1e4: r.u32(),
      amountX1e4: r.u32(),
      hardwareFaults: r.u16(),
    };
    r.end();
    return m;
  },
  encode: (m) =>
    new BodyWriter()
      .bcd(m.serial, SERIAL_BYTES)
      .bcd(m.pileNo, PILE_BYTES)
      .bcd(m.gunNo, GUN_BYTES)
      .u8(m.status)
      .u8(m.gunReturned)
      .u8(m.plugged ? 1 : 0)
      .u16(m.voltageX10)
      .u16(m.currentX10)
      .u8(m.gunTempRaw)
      .bytes(m.gunLineCode, 8)
      .u8(m.soc)
      .u8(m.batteryMaxTempRaw)
      .u16(m.chargingMinutes)
      .u16(m.remainingMinutes)
      .u32(m.energyX1e4)
      .u32(m.lossEnergyX1e4)
      .u32(m.amountX1e4)
      .u16(m.hardwareFaults)
      .build(),
});
