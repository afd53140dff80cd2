import { bcdToString, BodyReader, decodeCp56, encodeCp56, stringToBcd, YkcDecodeError } from '../../src/ykc/codec';

describe('YKC field codecs', () => {
  it('BCD both ways, left-padded with zeros', () => {
    expect(stringToBcd('55031412782305', 7).toString('hex')).toBe('55031412782305');
    expect(stringToBcd('1', 2).toString('hex')).toBe('0001');
    expect(bcdToString(Buffer.from('0912', 'hex'))).toBe('0912');
    expect(() => bcdToString(Buffer.from('1a', 'hex'))).toThrow(YkcDecodeError);
    expect(() => stringToBcd('123', 1)).toThrow(RangeError);
  });

  it('CP56Time2a in China time by default, with the weekday in the day byte', () => {
    const at = new Date('2024-03-15T02:30:45.123Z'); // Friday 10:30:45.123 in UTC+8
    const b = encodeCp56(at);
    expect(b.toString('hex')).toBe('43b01e0aaf0318');
    expect(decodeCp56(b).toISOString()).toBe(at.toISOString());
    expect(decodeCp56(encodeCp56(at, 0), 0).toISOString()).toBe(at.toISOString());
    expect(() => decodeCp56(Buffer.from('ffff1e0aaf0318', 'hex'))).toThrow(YkcDecodeError);
  });

  it('a short body is a decode error, not a RangeError', () => {
    const r = new BodyReader(Buffer.from('0102', 'hex'));
    expect(r.u16()).toBe(0x0201);
    expect(() => r.u8()).toThrow(YkcDecodeError);
    expect(() => new BodyReader(Buffer.from('01', 'hex')).end()).toThrow(YkcDecodeError);
  });
});
