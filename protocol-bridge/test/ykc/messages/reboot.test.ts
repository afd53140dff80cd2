import { reboot, rebootReply } from '../../../src/ykc/messages';
import { expectGolden, PILE } from '../golden';

describe('YKC reboot 0x92/0x91', () => {
  it('0x92 reboot now', () => expectGolden(reboot, '680C0100009255031412782305014A49', { pileNo: PILE, when: 'now' }));
  it('0x91 reply', () => expectGolden(rebootReply, '680C0100009155031412782305015EB9', { pileNo: PILE, accepted: true }));
});
