import { heartbeat, heartbeatReply } from '../../../src/ykc/messages';
import { expectGolden, GUN, PILE } from '../golden';

describe('YKC heartbeat 0x03/0x04', () => {
  it('0x03 heartbeat', () => expectGolden(heartbeat, '680D010000035503141278230501009F4F', { pileNo: PILE, gunNo: GUN, faulted: false }));
  it('0x04 heartbeat reply', () => expectGolden(heartbeatReply, '680D010000045503141278230501002E95', { pileNo: PILE, gunNo: GUN }));
});
