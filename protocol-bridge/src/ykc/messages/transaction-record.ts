/**
 * Transaction record: the pile's bill of one session. Resent (every 30 s, up to
 * 3 times) until confirmed; its serial is the idempotency key.
 * 0x3B up:   serial BCD16 | pile BCD7 | gun BCD1 | start CP56 | end CP56
 *            | 4 × (unitPrice u32 ×10^5, energy u32 ×10^4, lossEnergy u32 ×10^4, amount u32 ×10^4) for 尖/峰/平/谷
 *            | meterStart u40 (kWh ×10^4) | meterStop u40 | totalEnergy u32 | totalLossEnergy u32 | totalAmount u32 (yuan ×10^4)
 *            | vin ASCII17 | startType u8 (1 app, 2 card, 4 offline card, 5 VIN) | recordTime CP56 | stopReason u8 | physicalCard 8
 * 0x40 down: serial BCD16 | result u8 (0x00 accepted, 0x01 invalid serial)
 */
import { BodyReader, BodyWriter } from '../codec';
import { defineMessage, GUN_BYTES, PILE_BYTES, SERIAL_BYTES } from './types';

export interface TierUsage {
  unitPriceX1e5: number;
  energyX1e4: number;
  lossEnergyX1e4: number;
  amountX1e4: number;
}

export interface TransactionRecord {
  serial: string;
  pileNo: string;
  gunNo: string;
  startedAt: Date;
  endedAt: Date;
  /** 尖, 峰, 平, 谷. */
  tiers: [TierUsage, TierUsage, TierUsage, TierUsage];
  meterStartX1e4: number;
  meterStopX1e4: number;
  totalEnergyX1e4: number;
  totalLossEnergyX1e4: number;
  totalAmountX1e4: number;
  vin: string;
  startType: number;
  recordedAt: Date;
  stopReason: number;
  physicalCard: Buffer;
}

export const transactionRecord = defineMessage<TransactionRecord>({
  type: 0x3b,
  name: 'transaction record',
  direction: 'up',
  decode(body) {
    const r = new BodyReader(body);
    const serial = r.bcd(SERIAL_BYTES);
    const pileNo = r.bcd(PILE_BYTES);
    const gunNo = r.bcd(GUN_BYTES);
    const startedAt = r.cp56();
    const endedAt = r.cp56();
    const tier = (): TierUsage => ({ unitPriceX1e5: r.u32(), energyX1e4: r.u32(), lossEnergyX1e4: r.u32(), amountX1e4: r.u32() });
    const tiers: TransactionRecord['tiers'] = [tier(), tier(), tier(), tier()];
    const m: TransactionRecord = {
      serial,
      pileNo,
      gunNo,
      startedAt,
      endedAt,
      tiers,
      meterStartX1e4: r.uint(5),
      meterStopX1e4: r.uint(5),
      totalEnergyX1e4: r.u32(),
      totalLossEnergyX1e4: r.u32(),
      totalAmountX1e4: r.u32(),
      vin: r.ascii(17),
      startType: r.u8(),
      recordedAt: r.cp56(),
      stopReason: r.u8(),
      physicalCard: r.bytes(8),
    };
    r.end();
    return m;
  },
  encode(m) {
    const w = new BodyWriter().bcd(m.serial, SERIAL_BYTES).bcd(m.pileNo, PILE_BYTES).bcd(m.gunNo, GUN_BYTES).cp56(m.startedAt).cp56(m.endedAt);
    for (const t of m.tiers) w.u32(t.unitPriceX1e5).u32(t.energyX1e4).u32(t.lossEnergyX1e4).u32(t.amountX1e4);
    return w
      .uint(m.meterStartX1e4, 5)
      .uint(m.meterStopX1e4, 5)
      .u32(m.totalEnergyX1e4)
      .u32(m.totalLossEnergyX1e4)
      .u32(m.totalAmountX1e4)
      .ascii(m.vin, 17)
      .u8(m.startType)
      .cp56(m.recordedAt)
      .u8(m.stopReason)
      .bytes(m.physicalCard, 8)
      .build();
  },
});

export interface TransactionRecordConfirm {
  serial: string;
  accepted: boolean;
}

export const transactionRecordConfirm = defineMessage<TransactionRecordConfirm>({
  type: 0x40,
  name: 'transaction record confirm',
  direction: 'down',
  decode(body) {
    const r = new BodyReader(body);
    const m = { serial: r.bcd(SERIAL_BYTES), accepted: r.u8() === 0 };
    r.end();
    return m;
  },
  encode: (m) =>
    new BodyWriter()
      .bcd(m.serial, SERIAL_BYTES)
      .u8(m.accepted ? 0 : 1)
      .build(),
});
