import { describe, expect, it } from 'vitest';
import { useCursorPaging } from '../src/views/payments/paging';

describe('cursor paging of a list kept in the page', () => {
  it('asks forwards from the end cursor, backwards from the start cursor, and from the start again', async () => {
    const asked: unknown[] = [];
    const paging = useCursorPaging(10, async () => void asked.push(paging.page.value));
    expect(paging.hasPrev.value).toBe(false);
    paging.info.value = { hasNextPage: true, hasPreviousPage: false, startCursor: 'a', endCursor: 'b' };
    expect([paging.hasPrev.value, paging.hasNext.value]).toEqual([false, true]);
    await paging.next();
    paging.info.value = { hasNextPage: false, hasPreviousPage: true, startCursor: 'c', endCursor: 'd' };
    await paging.prev();
    await paging.restart();
    expect(asked).toEqual([
      { first: 10, after: 'b' },
      { last: 10, before: 'c' },
      { first: 10, after: null },
    ]);
  });

  it('goes back to the start when the page has no start cursor (an empty page)', async () => {
    const paging = useCursorPaging(5, async () => undefined);
    paging.info.value = { hasNextPage: false, hasPreviousPage: true, startCursor: null, endCursor: null };
    await paging.prev();
    expect(paging.page.value).toEqual({ first: 5, after: null });
  });
});
