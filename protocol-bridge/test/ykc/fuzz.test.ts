import fc from 'fast-check';
import { YkcDecodeError } from '../../src/ykc/codec';
import { encodeFrame, FrameReader, MAX_FRAME_BYTES } from '../../src/ykc/frame';
import { decodeMessage, UnknownMessageTypeError, YKC_MESSAGES } from '../../src/ykc/messages';

/** Everything the bridge does with inbound bytes short of I/O: frame, then decode. Only the two expected error types may escape. */
function consume(reader: FrameReader, chunk: Buffer): { frames: number; errors: number } {
  let frames = 0;
  let errors = 0;
  for (const r of reader.push(chunk)) {
    if ('error' in r) {
      errors++;
      continue;
    }
    frames++;
    try {
      decodeMessage(r.frame.type, r.frame.body);
    } catch (e) {
      if (!(e instanceof YkcDecodeError) && !(e instanceof UnknownMessageTypeError)) throw e;
      errors++;
    }
  }
  expect(reader.pending).toBeLessThan(MAX_FRAME_BYTES);
  return { frames, errors };
}

const types = [...YKC_MESSAGES.keys()];

describe('YKC decoder under fuzzing', () => {
  it('random byte streams in random chunks never crash it', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }), (chunks) => {
        const reader = new FrameReader();
        for (const c of chunks) consume(reader, Buffer.from(c));
      }),
      { numRuns: 2000 },
    );
  });

  it('valid frames with random bodies (right CRC, wrong content) never crash it', () => {
    fc.assert(
      fc.property(fc.constantFrom(...types), fc.uint8Array({ maxLength: 251 }), (type, body) => {
        consume(new FrameReader(), encodeFrame(type, 1, Buffer.from(body)));
      }),
      { numRuns: 3000 },
    );
  });

  it('mutated valid frames never crash it, and a valid frame after them is still read', () => {
    const valid = Buffer.from('680C000000025503141278230500DA4C', 'hex');
    fc.assert(
      fc.property(
        fc.constantFrom(...types),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.nat(20),
        (type, flips, cut) => {
          const codec = YKC_MESSAGES.get(type)!;
          const body = Buffer.alloc(codec.type === 0x3b ? 158 : 40, 0x11);
          const frame = encodeFrame(type, 7, body);
          for (const [pos, v] of flips) frame[pos % frame.length] = v;
          const reader = new FrameReader();
          consume(reader, frame.subarray(0, frame.length - cut));
          consume(reader, frame.subarray(frame.length - cut));
          // Whatever the damage, a corrupted length can hold back at most one maximum-length frame (259 bytes) before resync.
          let sawValid = false;
          for (let i = 0; i < 20 && !sawValid; i++) {
            for (const r of reader.push(valid)) if ('frame' in r && r.frame.type === 0x02) sawValid = true;
          }
          return sawValid;
        },
      ),
      { numRuns: 2000 },
    );
  });
});
