import { encodeFrame, FrameReader, YkcFrame } from '../../src/ykc/frame';
import type { YkcMessage } from '../../src/ykc/messages';

/** Pile, gun and serial used by every golden frame (serial = pile + gun + 240315103045 + 0001). */
export const PILE = '55031412782305';
export const GUN = '01';
export const SERIAL = '55031412782305012403151030450001';
/** Every golden frame below was written with sequence bytes 01 00. */
export const SEQ = Buffer.from([0x01, 0x00]);

export function readOne(hex: string): YkcFrame {
  const results = [...new FrameReader().push(Buffer.from(hex, 'hex'))];
  expect(results).toHaveLength(1);
  const [r] = results;
  if (!('frame' in r)) throw new Error(`not a frame: ${r.error.kind}`);
  return r.frame;
}

/**
 * Golden bytes both ways: the frame (built by hand from the grammar, CRC by an
 * independent implementation) decodes to `message`, and `message` encodes to
 * exactly the frame.
 */
export function expectGolden<T>(codec: YkcMessage<T>, hex: string, message: T): void {
  const frame = readOne(hex);
  expect(frame.type).toBe(codec.type);
  expect(frame.seq.toString('hex')).toBe('0100');
  expect(codec.decode(frame.body)).toEqual(message);
  expect(encodeFrame(codec.type, SEQ, codec.encode(message)).toString('hex').toUpperCase()).toBe(hex.toUpperCase());
}
