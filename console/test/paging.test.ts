import { describe, expect, it } from 'vitest';
import { defineComponent, h } from 'vue';
import { mount, flushPromises } from '@vue/test-utils';
import { createMemoryHistory, createRouter } from 'vue-router';
import { useCursorPaging, usePager, useUrlList, type PageArgs, type UrlFilters } from '../src/paging';

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

describe('a page of rows kept in memory (usePager)', () => {
  it('keeps the rows and page info of the last good answer, and the error text of a failed one', async () => {
    const answers: (string | { rows: number[]; pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string; endCursor: string } })[] = [
      { rows: [1, 2], pageInfo: { hasNextPage: true, hasPreviousPage: false, startCursor: 's1', endCursor: 'e1' } },
      'the router is starting',
    ];
    const asked: PageArgs[] = [];
    const pager = usePager<number>(2, async (page) => (asked.push(page), answers.shift()!));
    await pager.load();
    expect([pager.rows.value, pager.hasNext.value, pager.error.value]).toEqual([[1, 2], true, '']);
    await pager.next();
    expect([pager.rows.value, pager.error.value, pager.loading.value]).toEqual([[1, 2], 'the router is starting', false]);
    expect(asked).toEqual([
      { first: 2, after: null },
      { first: 2, after: 'e1' },
    ]);
  });
});

describe('a list whose whole state is in the URL (useUrlList)', () => {
  async function setUp(path: string) {
    const fetched: { filters: UrlFilters; page: PageArgs }[] = [];
    const filled: UrlFilters[] = [];
    let list!: ReturnType<typeof useUrlList<string>>;
    const List = defineComponent({
      setup() {
        list = useUrlList<string>({
          routeName: 'list',
          keys: ['state', 'station'],
          defaultSize: 20,
          onFilters: (f) => filled.push(f),
          fetch: async (filters, page) => {
            fetched.push({ filters, page });
            return { rows: ['a', 'b'], pageInfo: { hasNextPage: true, hasPreviousPage: true, startCursor: 'S', endCursor: 'E' } };
          },
        });
        return () => h('div');
      },
    });
    const router = createRouter({
      history: createMemoryHistory(),
      routes: [
        { path: '/list', name: 'list', component: List },
        { path: '/row/:id', name: 'row', component: { render: () => h('p') } },
      ],
    });
    await router.push(path);
    await router.isReady();
    const App = defineComponent({ render: () => h(router.options.routes[0].component as never) });
    mount(App, { global: { plugins: [router] } });
    await flushPromises();
    return { router, fetched, filled, list: () => list };
  }

  it("reads its first page from the URL's filters, size and cursor, and fills the form from them", async () => {
    const { fetched, filled, list } = await setUp('/list?state=CHARGING&size=50&after=C1&other=x');
    expect(fetched).toEqual([{ filters: { state: 'CHARGING', station: undefined }, page: { first: 50, after: 'C1' } }]);
    expect(filled).toEqual([{ state: 'CHARGING', station: undefined }]);
    expect(list().size.value).toBe(50);
    expect(list().rows.value).toEqual(['a', 'b']);
  });

  it("searches into the URL (first page, the form's size), and pages with the URL's filters, not the form's", async () => {
    const { router, fetched, list } = await setUp('/list?state=CHARGING');
    list().size.value = 10;
    list().search({ state: 'TO_PAY', station: 'st-1' });
    await flushPromises();
    expect(router.currentRoute.value.query).toEqual({ state: 'TO_PAY', station: 'st-1', size: '10' });
    expect(fetched.at(-1)).toEqual({ filters: { state: 'TO_PAY', station: 'st-1' }, page: { first: 10, after: null } });

    // the form changed but not searched: paging keeps what the URL says
    list().next();
    await flushPromises();
    expect(router.currentRoute.value.query).toEqual({ state: 'TO_PAY', station: 'st-1', size: '10', after: 'E' });
    list().prev();
    await flushPromises();
    expect(router.currentRoute.value.query).toEqual({ state: 'TO_PAY', station: 'st-1', size: '10', before: 'S' });
    expect(fetched.at(-1)!.page).toEqual({ last: 10, before: 'S' });

    // the same search twice reads again (rows may have changed); an absent filter leaves the URL
    const n = fetched.length;
    list().search({});
    await flushPromises();
    list().search({});
    await flushPromises();
    expect(router.currentRoute.value.query).toEqual({ size: '10' });
    expect(fetched.length).toBe(n + 2);
  });

  it("does not read again when the route leaves for a row's page", async () => {
    const { router, fetched } = await setUp('/list');
    const n = fetched.length;
    await router.push({ name: 'row', params: { id: '1' }, query: { tab: 'bill' } });
    await flushPromises();
    expect(fetched.length).toBe(n);
  });
});
