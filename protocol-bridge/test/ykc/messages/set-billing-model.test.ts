import { setBillingModel, setBillingModelReply } from '../../../src/ykc/messages';
import { expectGolden, PILE } from '../golden';

describe('YKC set billing model 0x58/0x57', () => {
  it('0x58 set billing model', () =>
    expectGolden(
      setBillingModel,
      '685E01000058550314127823050002A086010050C30000400D030050C300003075000010270000E02E0000102700000502020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020206ED',
      {
        pileNo: PILE,
        modelNo: '0002',
        tiers: [
          { electricity: 100_000, service: 50_000 },
          { electricity: 200_000, service: 50_000 },
          { electricity: 30_000, service: 10_000 },
          { electricity: 12_000, service: 10_000 },
        ],
        lossRatio: 5,
        slots: Array(48).fill(2),
      },
    ));
  it('0x57 reply', () => expectGolden(setBillingModelReply, '680C010000575503141278230501251C', { pileNo: PILE, applied: true }));
  it('refuses to encode a model without 48 valid slots', () => {
    const tiers = Array(4).fill({ electricity: 1, service: 1 }) as never;
    expect(() => setBillingModel.encode({ pileNo: PILE, modelNo: '0001', tiers, lossRatio: 0, slots: Array(47).fill(0) })).toThrow(RangeError);
    expect(() => setBillingModel.encode({ pileNo: PILE, modelNo: '0001', tiers, lossRatio: 0, slots: Array(48).fill(4) })).toThrow(RangeError);
  });
});
