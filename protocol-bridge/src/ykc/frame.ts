/**
 * YKC frame:  0x68 | LEN u8 | SEQ 2 | ENC u8 | TYPE u8 | BODY (LEN-4) | CRC 2
 * LEN counts SEQ..BODY; CRC-16/MODBUS over SEQ..BODY, low byte first (some
 * piles send it high byte first: accepted, never sent).
 */
import { crc16Modbus } from './crc';

export const START = 0x68;
/** SEQ + ENC + TYPE. */
const HEADER_IN_LEN = 4;
export const MAX_FRAME_BYTES = 2 + 255 + 2;

export interface YkcFrame {
  /** Raw sequence bytes, echoed as they came (implementations disagree on their byte order). */
  seq: Buffer;
  /** 0x00 plain, 0x01 3DES-encrypted body. */
  encryption: number;
  type: number;
  body: Buffer;
  /** The whole frame as received. */
  raw: Buffer;
  /** Byte order of the CRC the pile used (BE = non-conforming pile). */
  crcOrder: 'LE' | 'BE';
}

export type FrameErrorKind = 'bad_crc' | 'bad_length' | 'garbage';

export interface FrameError {
  kind: FrameErrorKind;
  raw: Buffer;
}

export type ReadResult = { frame: YkcFrame } | { error: FrameError };

export function encodeFrame(type: number, seq: Buffer | number, body: Buffer, encryption = 0): Buffer {
  if (body.length > 255 - HEADER_IN_LEN) throw new RangeError(`YKC body of ${body.length} bytes does not fit a frame`);
  const seqBytes = typeof seq === 'number' ? Buffer.from([seq & 0xff, (seq >> 8) & 0xff]) : seq;
  if (seqBytes.length !== 2) throw new RangeError('YKC sequence is 2 bytes');
  const out = Buffer.alloc(2 + HEADER_IN_LEN + body.length + 2);
  out[0] = START;
  out[1] = HEADER_IN_LEN + body.length;
  seqBytes.copy(out, 2);
  out[4] = encryption;
  out[5] = type;
  body.copy(out, 6);
  const crc = crc16Modbus(out, 2, out.length - 2);
  out.writeUInt16LE(crc, out.length - 2);
  return out;
}

/**
 * Turns a TCP byte stream into frames. TCP delivers frames split across reads
 * and several frames in one read; push() keeps what is incomplete for the next
 * call. Bytes that cannot start a frame, impossible lengths and bad CRCs are
 * reported as errors and skipped by resynchronising on the next 0x68, so one
 * corrupted frame costs that frame, not the connection.
 */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);
  /** After a bad frame, bytes up to the next 0x68 belong to it: skip them without a second error. */
  private resyncing = false;

  /** Bytes held back waiting for the rest of a frame. */
  get pending(): number {
    return this.buf.length;
  }

  *push(chunk: Buffer): Generator<ReadResult> {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    for (;;) {
      if (this.buf.length === 0) return;
      if (this.buf[0] !== START) {
        const next = this.buf.indexOf(START);
        const cut = next === -1 ? this.buf.length : next;
        if (!this.resyncing) yield { error: { kind: 'garbage', raw: Buffer.from(this.buf.subarray(0, cut)) } };
        this.buf = this.buf.subarray(cut);
        continue;
      }
      if (this.buf.length < 2) return;
      const len = this.buf[1];
      if (len < HEADER_IN_LEN) {
        yield { error: { kind: 'bad_length', raw: Buffer.from(this.buf.subarray(0, 2)) } };
        this.buf = this.buf.subarray(1);
        this.resyncing = true;
        continue;
      }
      const total = 2 + len + 2;
      if (this.buf.length < total) return;
      const raw = Buffer.from(this.buf.subarray(0, total));
      const crc = crc16Modbus(raw, 2, total - 2);
      const le = raw.readUInt16LE(total - 2);
      const be = raw.readUInt16BE(total - 2);
      if (crc !== le && crc !== be) {
        yield { error: { kind: 'bad_crc', raw } };
        // The 0x68 may have been a data byte: look for the next start inside this frame.
        this.buf = this.buf.subarray(1);
        this.resyncing = true;
        continue;
      }
      this.resyncing = false;
      this.buf = this.buf.subarray(total);
      yield {
        frame: {
          seq: raw.subarray(2, 4),
          encryption: raw[4],
          type: raw[5],
          body: raw.subarray(6, total - 2),
          raw,
          crcOrder: crc === le ? 'LE' : 'BE',
        },
      };
    }
  }
}
