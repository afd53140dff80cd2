import { remoteStart, remoteStartReply } from '../../../src/ykc/messages';
import { expectGolden, GUN, PILE, SERIAL } from '../golden';

describe('YKC remote start 0x34/0x33', () => {
  it('0x34 remote start', () =>
    expectGolden(remoteStart, '6830010000345503141278230501240315103045000155031412782305010000001000000001000000000000000010270000EB8F', {
      serial: SERIAL,
      pileNo: PILE,
      gunNo: GUN,
      logicalCard: '0000001000000001',
      physicalCard: '0000000000000000',
      balanceX100: 10_000,
    }));
  it('0x33 reply: failed, gun not plugged in', () =>
    expectGolden(remoteStartReply, '681E010000335503141278230501240315103045000155031412782305010005E514', {
      serial: SERIAL,
      pileNo: PILE,
      gunNo: GUN,
      started: false,
      reason: 5,
    }));
});
