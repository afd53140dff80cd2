import { remoteStop, remoteStopReply } from '../../../src/ykc/messages';
import { expectGolden, GUN, PILE } from '../golden';

describe('YKC remote stop 0x36/0x35', () => {
  it('0x36 remote stop', () => expectGolden(remoteStop, '680C010000365503141278230501808E', { pileNo: PILE, gunNo: GUN }));
  it('0x35 reply', () => expectGolden(remoteStopReply, '680E0100003555031412782305010100EF70', { pileNo: PILE, gunNo: GUN, stopped: true, reason: 0 }));
});
