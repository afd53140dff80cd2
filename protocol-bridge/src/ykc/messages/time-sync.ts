/**
 * Time synchronisation, platform clock to the pile.
 * 0x56 down: pile BCD7 | time CP56
 * 0x55 up:   pile BCD7 | time CP56 (the pile's clock after setting)
 */
import { BodyReader, BodyWriter } from '../codec';
import { defineMessage, PILE_BYTES } from './types';

export interface TimeSync {
  pileNo: string;
  time: Date;
}

const codec = {
  decode(body: Buffer): TimeSync {
    const r = new BodyReader(body);
    const m = { pileNo: r.bcd(PILE_BYTES), time: r.cp56() };
    r.end();
    return m;
  },
  encode: (m: TimeSync) => new BodyWriter().bcd(m.pileNo, PILE_BYTES).cp56(m.time).build(),
};

export const timeSync = defineMessage<TimeSync>({ type: 0x56, name: 'time sync', direction: 'down', ...codec });
export const timeSyncReply = defineMessage<TimeSync>({ type: 0x55, name: 'time sync reply', direction: 'up', ...codec });
