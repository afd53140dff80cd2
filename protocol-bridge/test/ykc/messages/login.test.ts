import { loginReply, loginRequest } from '../../../src/ykc/messages';
import { expectGolden, PILE, readOne } from '../golden';

describe('YKC login 0x01/0x02', () => {
  it('0x01 login request', () => {
    expectGolden(loginRequest, '6822010000015503141278230500021056312E362E3000000100000000000000000000048C67', {
      pileNo: PILE,
      pileType: 0,
      guns: 2,
      protocolVersion: 0x10,
      programVersion: 'V1.6.0',
      network: 1,
      sim: '00000000000000000000',
      carrier: 4,
    });
  });

  it('0x02 login reply', () => {
    expectGolden(loginReply, '680C010000025503141278230500278F', { pileNo: PILE, accepted: true });
  });

  it("decodes the reference document's login reply example", () => {
    const frame = readOne('680C000000025503141278230500DA4C');
    expect(frame.seq.toString('hex')).toBe('0000');
    expect(loginReply.decode(frame.body)).toEqual({ pileNo: PILE, accepted: true });
  });
});
