import { timeSync, timeSyncReply } from '../../../src/ykc/messages';
import { expectGolden, PILE } from '../golden';

describe('YKC time sync 0x56/0x55', () => {
  const time = new Date('2024-03-15T03:00:14.876Z');
  it('0x56 time sync', () => expectGolden(timeSync, '681201000056550314127823051C3A000BAF0318ED53', { pileNo: PILE, time }));
  it('0x55 reply', () => expectGolden(timeSyncReply, '681201000055550314127823051C3A000BAF0318AE52', { pileNo: PILE, time }));
});
