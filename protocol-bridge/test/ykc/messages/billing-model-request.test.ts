import { billingModelReply, billingModelRequest } from '../../../src/ykc/messages';
import { expectGolden, PILE } from '../golden';

describe('YKC billing-model request 0x09/0x0A', () => {
  it('0x09 request', () => expectGolden(billingModelRequest, '680B0100000955031412782305AB15', { pileNo: PILE }));

  it('0x0A reply: four tiers (yuan ×10^5), loss ratio, 48 half-hour slots', () =>
    expectGolden(
      billingModelReply,
      '685E0100000A550314127823050001A086010050C30000400D030050C300003075000010270000E02E0000102700000003030303030303030303030303030202020202020202020202020202020201010101010101010000000001010101020290F8',
      {
        pileNo: PILE,
        modelNo: '0001',
        tiers: [
          { electricity: 100_000, service: 50_000 },
          { electricity: 200_000, service: 50_000 },
          { electricity: 30_000, service: 10_000 },
          { electricity: 12_000, service: 10_000 },
        ],
        lossRatio: 0,
        slots: [...Array(14).fill(3), ...Array(16).fill(2), ...Array(8).fill(1), ...Array(4).fill(0), ...Array(4).fill(1), 2, 2],
      },
    ));
});
