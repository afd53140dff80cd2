import fc from 'fast-check';
import { z } from 'zod';
import { connectionOf, cursorCodec, isUuid, PageInfoObject, pageSize, parseUuid } from '../src';

const key = z.object({ at: z.string().datetime(), id: z.string().refine(isUuid) });

describe('cursorCodec', () => {
  const orders = cursorCodec('order', key);
  const payments = cursorCodec('payment', key);

  it('decodes what it encoded', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01') }), fc.uuid(), (d, id) => {
        const k = { at: d.toISOString(), id };
        expect(orders.decode(orders.encode(k))).toEqual(k);
      }),
    );
  });

  it('refuses a cursor of another list, a tampered key, garbage and oversized input with BAD_USER_INPUT', () => {
    const k = { at: new Date().toISOString(), id: '3f1c8a2e-8b1a-4c7e-9a55-0d3c1e2f4a5b' };
    const bad = [
      payments.encode(k),
      Buffer.from(JSON.stringify(['order', { ...k, id: 'x' }])).toString('base64url'),
      Buffer.from(JSON.stringify(['order', k, 'extra'])).toString('base64url'),
      Buffer.from('not json').toString('base64url'),
      'has spaces and = signs',
      '',
      'A'.repeat(2000),
    ];
    for (const c of bad) expect(() => orders.decode(c)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
  });

  it('encodes only the key (extra fields of a row are not leaked into the cursor)', () => {
    const c = orders.encode({ at: new Date(0).toISOString(), id: '3f1c8a2e-8b1a-4c7e-9a55-0d3c1e2f4a5b', secret: 'x' } as never);
    expect(Buffer.from(c, 'base64url').toString()).not.toContain('secret');
  });
});

describe('ids and page sizes', () => {
  it('isUuid accepts either case and nothing else; parseUuid lower-cases', () => {
    expect(isUuid('3F1C8A2E-8B1A-4C7E-9A55-0D3C1E2F4A5B')).toBe(true);
    expect(isUuid('3f1c8a2e-8b1a-4c7e-9a55-0d3c1e2f4a5')).toBe(false);
    expect(isUuid(' 3f1c8a2e-8b1a-4c7e-9a55-0d3c1e2f4a5b')).toBe(false);
    expect(isUuid(42)).toBe(false);
    expect(parseUuid('3F1C8A2E-8B1A-4C7E-9A55-0D3C1E2F4A5B')).toBe('3f1c8a2e-8b1a-4c7e-9a55-0d3c1e2f4a5b');
    expect(() => parseUuid('nope', 'orderId')).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT', message: 'orderId is not a UUID' }));
  });

  it('pageSize is 1..max', () => {
    expect(pageSize(1)).toBe(1);
    expect(pageSize(500)).toBe(500);
    for (const n of [0, -1, 501, 1.5, Number.NaN]) expect(() => pageSize(n)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
    expect(() => pageSize(101, 100, 'last')).toThrow('`last` must be between 1 and 100');
  });
});

describe('connectionOf', () => {
  const codec = cursorCodec('n', z.object({ n: z.number() }));
  const page = { key: (r: number) => ({ n: r }), node: (r: number) => `node ${r}` };
  const forward = (size: number, cursor: { n: number } | null = null) => ({ direction: 'forward' as const, size, cursor, codec });
  const backward = (size: number, cursor: { n: number } | null = null) => ({ direction: 'backward' as const, size, cursor, codec });

  it('takes `first` of the first + 1 rows a read returned; the extra one only says a next page exists', () => {
    const c = connectionOf([1, 2, 3], forward(2), page);
    expect(c.edges.map((e) => e.node)).toEqual(['node 1', 'node 2']);
    expect(c.pageInfo).toBeInstanceOf(PageInfoObject);
    expect(c.pageInfo).toEqual({ hasNextPage: true, hasPreviousPage: false, startCursor: c.edges[0]!.cursor, endCursor: c.edges[1]!.cursor });
    expect(codec.decode(c.pageInfo.endCursor!)).toEqual({ n: 2 });
  });

  it("encodes an edge's cursor only when it is read (a page's nodes without their cursors cost no encoding)", () => {
    let encoded = 0;
    const counting = { ...codec, encode: (k: { n: number }) => (encoded++, codec.encode(k)) };
    const c = connectionOf([1, 2, 3, 4, 5], { direction: 'forward' as const, size: 4, cursor: null, codec: counting }, page);
    expect(encoded).toBe(2); // pageInfo's start and end
    expect(c.edges.map((e) => e.node)).toHaveLength(4);
    expect(encoded).toBe(2);
    expect(codec.decode(c.edges[1]!.cursor)).toEqual({ n: 2 });
    expect(c.edges[1]!.cursor).toBe(c.edges[1]!.cursor);
    expect(encoded).toBe(3);
  });

  it('the last page has no next page, and an empty one no cursors; after a cursor there is a previous page', () => {
    expect(connectionOf([1, 2], forward(2), page).pageInfo.hasNextPage).toBe(false);
    expect(connectionOf([], forward(2), page).pageInfo).toEqual({ hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null });
    expect(connectionOf([3], forward(2, { n: 2 }), page).pageInfo).toEqual(expect.objectContaining({ hasNextPage: false, hasPreviousPage: true }));
  });

  it('paging backwards, the extra row is before the page and says a previous page exists', () => {
    const c = connectionOf([1, 2, 3], backward(2, { n: 4 }), page);
    expect(c.edges.map((e) => e.node)).toEqual(['node 2', 'node 3']);
    expect(c.pageInfo).toEqual({ hasNextPage: true, hasPreviousPage: true, startCursor: c.edges[0]!.cursor, endCursor: c.edges[1]!.cursor });
    expect(connectionOf([1, 2], backward(2), page).pageInfo).toEqual(expect.objectContaining({ hasNextPage: false, hasPreviousPage: false }));
  });
});
