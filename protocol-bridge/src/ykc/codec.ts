/**
 * Field codecs shared by the YKC messages: BCD numbers, CP56Time2a times and
 * little-endian scaled integers, behind a small reader/writer pair that throws
 * YkcDecodeError (never a RangeError) on a short body.
 */

export class YkcDecodeError extends Error {
  readonly code = 'YKC_DECODE';
}

/** BCD digits of `bytes` as a string of 2×length digits ("55031412782305"). */
export function bcdToString(buf: Uint8Array): string {
  let s = '';
  for (const b of buf) {
    const hi = b >> 4;
    const lo = b & 0x0f;
    if (hi > 9 || lo > 9) throw new YkcDecodeError(`not a BCD byte: 0x${b.toString(16).padStart(2, '0')}`);
    s += String(hi) + String(lo);
  }
  return s;
}

export function stringToBcd(digits: string, length: number): Buffer {
  if (!/^\d*$/.test(digits)) throw new RangeError(`BCD needs digits only: ${digits}`);
  if (digits.length > length * 2) throw new RangeError(`${digits} does not fit ${length} BCD bytes`);
  const padded = digits.padStart(length * 2, '0');
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = (Number(padded[2 * i]) << 4) | Number(padded[2 * i + 1]);
  return out;
}

/**
 * CP56Time2a (IEC 60870-5-104), 7 bytes: milliseconds within the minute (u16 LE),
 * minute (6 bits), hour (5 bits), day of month (5 bits, weekday in the high 3),
 * month (4 bits), year − 2000 (7 bits). YKC piles send local wall-clock time;
 * the bridge reads and writes it in the zone offset it is given (China: +480).
 */
export function decodeCp56(buf: Uint8Array, offsetMinutes = 480): Date {
  if (buf.length < 7) throw new YkcDecodeError('CP56Time2a needs 7 bytes');
  const ms = buf[0] | (buf[1] << 8);
  const minute = buf[2] & 0x3f;
  const hour = buf[3] & 0x1f;
  const day = buf[4] & 0x1f;
  const month = buf[5] & 0x0f;
  const year = 2000 + (buf[6] & 0x7f);
  if (ms > 59_999 || minute > 59 || hour > 23 || day < 1 || day > 31 || month < 1 || month > 12) {
    throw new YkcDecodeError(`invalid CP56Time2a ${Buffer.from(buf).toString('hex')}`);
  }
  const utc = Date.UTC(year, month - 1, day, hour, minute, 0, ms) - offsetMinutes * 60_000;
  return new Date(utc);
}

export function encodeCp56(at: Date, offsetMinutes = 480): Buffer {
  const local = new Date(at.getTime() + offsetMinutes * 60_000);
  const ms = local.getUTCSeconds() * 1000 + local.getUTCMilliseconds();
  const weekday = local.getUTCDay() === 0 ? 7 : local.getUTCDay();
  return Buffer.from([
    ms & 0xff,
    ms >> 8,
    local.getUTCMinutes(),
    local.getUTCHours(),
    (weekday << 5) | local.getUTCDate(),
    local.getUTCMonth() + 1,
    local.getUTCFullYear() - 2000,
  ]);
}

/** Sequential reader over a message body. */
export class BodyReader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}

  private take(n: number): Buffer {
    if (this.pos + n > this.buf.length) throw new YkcDecodeError(`body too short: need ${this.pos + n} bytes, have ${this.buf.length}`);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  bcd(n: number): string {
    return bcdToString(this.take(n));
  }
  u8(): number {
    return this.take(1)[0];
  }
  u16(): number {
    return this.take(2).readUInt16LE(0);
  }
  u32(): number {
    return this.take(4).readUInt32LE(0);
  }
  /** Unsigned little-endian integer of n ≤ 6 bytes (meter readings are 5). */
  uint(n: number): number {
    return this.take(n).readUIntLE(0, n);
  }
  bytes(n: number): Buffer {
    return Buffer.from(this.take(n));
  }
  /** ASCII, trailing NULs and spaces dropped. */
  ascii(n: number): string {
    return this.take(n)
      .toString('latin1')
      .replace(/[\0 ]+$/, '');
  }
  cp56(): Date {
    return decodeCp56(this.take(7));
  }
  /** The body must be consumed exactly: a longer body is a different message version. */
  end(): void {
    if (this.pos !== this.buf.length) throw new YkcDecodeError(`body has ${this.buf.length - this.pos} unexpected trailing bytes`);
  }
}

/** Sequential writer; every value is range-checked so a bad field fails loudly, not as a wrapped number. */
export class BodyWriter {
  private readonly parts: Buffer[] = [];

  bcd(digits: string, n: number): this {
    this.parts.push(stringToBcd(digits, n));
    return this;
  }
  u8(v: number): this {
    const b = Buffer.alloc(1);
    b.writeUInt8(v);
    this.parts.push(b);
    return this;
  }
  u16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(v);
    this.parts.push(b);
    return this;
  }
  u32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    this.parts.push(b);
    return this;
  }
  uint(v: number, n: number): this {
    const b = Buffer.alloc(n);
    b.writeUIntLE(v, 0, n);
    this.parts.push(b);
    return this;
  }
  bytes(b: Uint8Array, n: number): this {
    if (b.length !== n) throw new RangeError(`expected ${n} bytes, got ${b.length}`);
    this.parts.push(Buffer.from(b));
    return this;
  }
  ascii(s: string, n: number): this {
    const b = Buffer.alloc(n);
    if (Buffer.byteLength(s, 'latin1') > n) throw new RangeError(`"${s}" does not fit ${n} bytes`);
    b.write(s, 'latin1');
    this.parts.push(b);
    return this;
  }
  cp56(at: Date): this {
    this.parts.push(encodeCp56(at));
    return this;
  }
  build(): Buffer {
    return Buffer.concat(this.parts);
  }
}
