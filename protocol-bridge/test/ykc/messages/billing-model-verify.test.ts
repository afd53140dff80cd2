import { billingModelVerify, billingModelVerifyReply } from '../../../src/ykc/messages';
import { expectGolden, PILE, readOne } from '../golden';

describe('YKC billing-model verify 0x05/0x06', () => {
  it('0x05 verify', () => expectGolden(billingModelVerify, '680D01000005550314127823050001BF00', { pileNo: PILE, modelNo: '0001' }));
  it('0x06 verify reply (outdated)', () =>
    expectGolden(billingModelVerifyReply, '680E01000006550314127823050001018F34', { pileNo: PILE, modelNo: '0001', current: false }));

  it("decodes the reference document's verify reply example", () => {
    const frame = readOne('680ECE040006550314127823050000008E2F');
    expect(frame.seq.toString('hex')).toBe('ce04');
    expect(billingModelVerifyReply.decode(frame.body)).toEqual({ pileNo: PILE, modelNo: '0000', current: true });
  });
});
