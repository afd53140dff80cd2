import { transactionRecord, transactionRecordConfirm } from '../../../src/ykc/messages';
import { expectGolden, GUN, PILE, SERIAL } from '../golden';

describe('YKC transaction record 0x3B/0x40', () => {
  it('0x3B record: CP56Time2a times in China time, 5-byte meter readings, VIN', () =>
    expectGolden(
      transactionRecord,
      '68A20100003B550314127823050124031510304500015503141278230501C8AF1E0AAF03188813000BAF0318A0860100000000000000000000000000400D030050C3000050C3000030750000307500001027000010270000C4090000E02E0000000000000000000000000000A086010000000703000060EA000060EA0000F40100004C5357474A303030303030303030303031011C3A000BAF0318400000000000000000E89A',
      {
        serial: SERIAL,
        pileNo: PILE,
        gunNo: GUN,
        // 2024-03-15 10:30:45.000 and 11:00:05.000 at UTC+8
        startedAt: new Date('2024-03-15T02:30:45.000Z'),
        endedAt: new Date('2024-03-15T03:00:05.000Z'),
        tiers: [
          { unitPriceX1e5: 100_000, energyX1e4: 0, lossEnergyX1e4: 0, amountX1e4: 0 },
          { unitPriceX1e5: 200_000, energyX1e4: 50_000, lossEnergyX1e4: 50_000, amountX1e4: 30_000 },
          { unitPriceX1e5: 30_000, energyX1e4: 10_000, lossEnergyX1e4: 10_000, amountX1e4: 2_500 },
          { unitPriceX1e5: 12_000, energyX1e4: 0, lossEnergyX1e4: 0, amountX1e4: 0 },
        ],
        meterStartX1e4: 100_000,
        meterStopX1e4: 198_400,
        totalEnergyX1e4: 60_000,
        totalLossEnergyX1e4: 60_000,
        totalAmountX1e4: 500,
        vin: 'LSWGJ000000000001',
        startType: 1,
        recordedAt: new Date('2024-03-15T03:00:14.876Z'),
        stopReason: 0x40,
        physicalCard: Buffer.alloc(8),
      },
    ));
  it('0x40 confirm', () => expectGolden(transactionRecordConfirm, '6815010000405503141278230501240315103045000100EBA5', { serial: SERIAL, accepted: true }));
});
