import { workingParameters, workingParametersReply } from '../../../src/ykc/messages';
import { expectGolden, PILE } from '../golden';

describe('YKC working parameters 0x52/0x51', () => {
  it('0x52 may work, at most 80 %', () =>
    expectGolden(workingParameters, '680D01000052550314127823050050CC67', { pileNo: PILE, enabled: true, maxOutputPercent: 80 }));
  it('0x52 locked, 100 %', () =>
    expectGolden(workingParameters, '680D01000052550314127823050164CC20', { pileNo: PILE, enabled: false, maxOutputPercent: 100 }));
  it('0x51 set', () => expectGolden(workingParametersReply, '680C0100005155031412782305010EBC', { pileNo: PILE, applied: true }));
});
