import fc from 'fast-check';
import { z } from 'zod';
import { cursorCodec, pageWindow, type KeysetWindow } from '../src';
import { cmp, walk, type Row } from './paging-walk';

const key = z.object({ at: z.number().int(), id: z.number().int() });
const codec = cursorCodec('thing', key);
const opts = { codec, defaultSize: 20, max: 50 };
const bad = (message: string | RegExp) => expect.objectContaining({ code: 'BAD_USER_INPUT', message: expect.stringMatching(message) });

describe('pageWindow', () => {
  const c = codec.encode({ at: 1, id: 2 });

  it('first/after page forwards, last/before backwards, the list default without a size', () => {
    expect(pageWindow({}, opts)).toEqual({ direction: 'forward', size: 20, cursor: null, codec });
    expect(pageWindow({ first: 5, after: c }, opts)).toEqual({ direction: 'forward', size: 5, cursor: { at: 1, id: 2 }, codec });
    expect(pageWindow({ last: 50 }, opts)).toEqual({ direction: 'backward', size: 50, cursor: null, codec });
    expect(pageWindow({ before: c }, opts)).toEqual({ direction: 'backward', size: 20, cursor: { at: 1, id: 2 }, codec });
    expect(pageWindow({ first: null, after: null, last: 3, before: c }, opts)).toMatchObject({ direction: 'backward', size: 3 });
  });

  it('refuses mixed directions with BAD_USER_INPUT saying which arguments go together', () => {
    expect(() => pageWindow({ first: 1, last: 1 }, opts)).toThrow(bad(/`first`.*or `last`.*not both/));
    expect(() => pageWindow({ after: c, before: c }, opts)).toThrow(bad(/`after`.*or `before`.*not both/));
    expect(() => pageWindow({ first: 1, before: c }, opts)).toThrow(bad(/`before` pages backwards: use it with `last`/));
    expect(() => pageWindow({ last: 1, after: c }, opts)).toThrow(bad(/`after` pages forwards: use it with `first`/));
  });

  it('refuses negative, zero, fractional and over-the-maximum sizes, naming the argument', () => {
    expect(() => pageWindow({ first: -1 }, opts)).toThrow(bad(/^`first` must be between 1 and 50: it cannot be negative \(got -1\)$/));
    expect(() => pageWindow({ last: -5 }, opts)).toThrow(bad(/^`last` .*cannot be negative/));
    expect(() => pageWindow({ first: 0 }, opts)).toThrow(bad(/^`first` must be between 1 and 50/));
    expect(() => pageWindow({ first: 1.5 }, opts)).toThrow(bad(/whole number/));
    expect(() => pageWindow({ last: 51 }, opts)).toThrow(bad(/^`last` must be between 1 and 50: at most 50 rows a page \(got 51\)$/));
    expect(pageWindow({ first: 500 }, { codec, defaultSize: 1 }).size).toBe(500);
    expect(() => pageWindow({ first: 501 }, { codec, defaultSize: 1 })).toThrow(bad(/between 1 and 500/));
  });

  it('refuses malformed cursors and cursors of another list', () => {
    for (const cursor of ['', 'not a cursor', 'A'.repeat(2000), Buffer.from('[1,2]').toString('base64url')]) {
      expect(() => pageWindow({ after: cursor }, opts)).toThrow(bad(/not a cursor of this list \(thing\)/));
      expect(() => pageWindow({ before: cursor }, opts)).toThrow(bad(/not a cursor of this list/));
    }
    expect(() => pageWindow({ after: cursorCodec('other', key).encode({ at: 1, id: 2 }) }, opts)).toThrow(bad(/not a cursor of this list \(thing\)/));
  });

  it('refuses a cursor issued for the same list in another order', () => {
    const asc = { ...opts, codec: codec.inOrder('ASC') };
    const desc = { ...opts, codec: codec.inOrder('DESC') };
    const ascCursor = asc.codec.encode({ at: 1, id: 2 });
    expect(pageWindow({ after: ascCursor }, asc).cursor).toEqual({ at: 1, id: 2 });
    expect(() => pageWindow({ after: ascCursor }, desc)).toThrow(
      bad(/^a cursor of this list \(thing\) in another sort order: start again without `after`\/`before`$/),
    );
    expect(() => pageWindow({ before: ascCursor }, opts)).toThrow(bad(/in another sort order/));
    expect(() => pageWindow({ before: c }, desc)).toThrow(bad(/in another sort order/));
  });
});

// An in-memory keyset read with the semantics of keysetQuery + keysetRows (the Postgres one is
// checked the same way in keyset.int.test.ts).
function read(sorted: readonly Row[], w: KeysetWindow<Row>): Row[] {
  if (w.direction === 'forward') return sorted.filter((r) => w.cursor === null || cmp(r, w.cursor) > 0).slice(0, w.size + 1);
  const before = sorted.filter((r) => w.cursor === null || cmp(r, w.cursor) < 0);
  return before.slice(Math.max(0, before.length - w.size - 1));
}

describe('paging a whole list', () => {
  it('forwards, then backwards, visits every row exactly once, in order (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.record({ at: fc.integer({ min: 0, max: 5 }), id: fc.integer({ min: 0, max: 1000 }) }), { selector: (r) => r.id, maxLength: 60 }),
        fc.integer({ min: 1, max: 50 }),
        async (rows, size) => {
          const sorted = [...rows].sort(cmp);
          const { forward, backward } = await walk((w) => read(sorted, w), size, codec);
          expect(forward).toEqual(sorted);
          expect(backward).toEqual(sorted);
        },
      ),
    );
  });
});
