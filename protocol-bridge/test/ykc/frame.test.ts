import { crc16Modbus } from '../../src/ykc/crc';
import { encodeFrame, FrameReader, ReadResult } from '../../src/ykc/frame';

const LOGIN_REPLY = Buffer.from('680C000000025503141278230500DA4C', 'hex');
const VERIFY_REPLY = Buffer.from('680ECE040006550314127823050000008E2F', 'hex');

const kinds = (results: ReadResult[]) => results.map((r) => ('frame' in r ? `frame:${r.frame.type}` : r.error.kind));

describe('CRC-16/MODBUS', () => {
  it('has the catalogue check value', () => expect(crc16Modbus(Buffer.from('123456789'))).toBe(0x4b37));
});

describe('YKC frame reader', () => {
  it('reads a frame delivered one byte at a time', () => {
    const reader = new FrameReader();
    const out: ReadResult[] = [];
    for (const b of LOGIN_REPLY) out.push(...reader.push(Buffer.from([b])));
    expect(kinds(out)).toEqual(['frame:2']);
    expect(reader.pending).toBe(0);
  });

  it('reads coalesced frames and a frame split across two reads', () => {
    const all = Buffer.concat([LOGIN_REPLY, VERIFY_REPLY, LOGIN_REPLY]);
    const reader = new FrameReader();
    const first = [...reader.push(all.subarray(0, 20))];
    const second = [...reader.push(all.subarray(20))];
    expect(kinds(first)).toEqual(['frame:2']);
    expect(kinds(second)).toEqual(['frame:6', 'frame:2']);
    const verify = second[0];
    expect('frame' in verify && verify.frame.seq.toString('hex')).toBe('ce04');
  });

  it('accepts a big-endian CRC from a non-conforming pile, and always writes little-endian', () => {
    const be = Buffer.from(LOGIN_REPLY);
    be.writeUInt16BE(be.readUInt16LE(be.length - 2), be.length - 2);
    const [r] = [...new FrameReader().push(be)];
    expect('frame' in r && r.frame.crcOrder).toBe('BE');
    const re = encodeFrame(0x02, Buffer.from([0, 0]), Buffer.from('5503141278230500', 'hex'));
    expect(re.equals(LOGIN_REPLY)).toBe(true);
  });

  it('reports a bad CRC with the raw bytes and resynchronises on the next 0x68', () => {
    const bad = Buffer.from(LOGIN_REPLY);
    bad[8] ^= 0xff;
    const out = [...new FrameReader().push(Buffer.concat([bad, VERIFY_REPLY]))];
    expect(kinds(out)).toEqual(['bad_crc', 'frame:6']);
    const err = out[0];
    expect('error' in err && err.error.raw.equals(bad)).toBe(true);
  });

  it('skips garbage before a frame and reports an impossible length', () => {
    const out = [...new FrameReader().push(Buffer.concat([Buffer.from('0102ff', 'hex'), Buffer.from('6802', 'hex'), LOGIN_REPLY]))];
    expect(kinds(out)).toEqual(['garbage', 'bad_length', 'frame:2']);
  });

  it('echoes the raw sequence bytes (either byte order) in a built frame', () => {
    const f = encodeFrame(0x04, Buffer.from([0xce, 0x04]), Buffer.alloc(9));
    expect(f.subarray(2, 4).toString('hex')).toBe('ce04');
    expect(encodeFrame(0x04, 0x04ce, Buffer.alloc(9)).subarray(2, 4).toString('hex')).toBe('ce04');
  });
});
