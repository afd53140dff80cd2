import { readRealTimeData, realTimeData } from '../../../src/ykc/messages';
import { expectGolden, GUN, PILE, SERIAL } from '../golden';

describe('YKC real-time data 0x12/0x13', () => {
  it('0x12 read', () => expectGolden(readRealTimeData, '680C0100001255031412782305012B8F', { pileNo: PILE, gunNo: GUN }));

  it('0x13 real-time data: scaled integers kept as sent', () =>
    expectGolden(
      realTimeData,
      '6840010000135503141278230501240315103045000155031412782305010300017C1558024B00000000000000003C411E002D0050C3000050C300003075000000000D25',
      {
        serial: SERIAL,
        pileNo: PILE,
        gunNo: GUN,
        status: 3,
        gunReturned: 0,
        plugged: true,
        voltageX10: 5500,
        currentX10: 600,
        gunTempRaw: 75,
        gunLineCode: Buffer.alloc(8),
        soc: 60,
        batteryMaxTempRaw: 65,
        chargingMinutes: 30,
        remainingMinutes: 45,
        energyX1e4: 50_000,
        lossEnergyX1e4: 50_000,
        amountX1e4: 30_000,
        hardwareFaults: 0,
      },
    ));
});
