import { computed, onMounted, ref, shallowRef, watch, type Ref } from 'vue';
import { useRoute, useRouter, type LocationQuery } from 'vue-router';

/**
 * The console's one way to page a Relay connection: forwards with first/after from the page's
 * endCursor, backwards with last/before from its startCursor. Three shapes of list use it — a
 * page of a screen kept in memory (`useCursorPaging`, `usePager`) and a list whose whole state is
 * in the URL (`useUrlList`).
 */
export type PageArgs = { first: number; after: string | null } | { last: number; before: string };

export interface PageInfoShown {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor?: string | null;
  endCursor?: string | null;
}

/** The connection arguments of a page: backwards from `before` when given, else forwards from `after` (or the start). */
export function pageArgs(size: number, after: string | null | undefined, before: string | null | undefined): PageArgs {
  return before ? { last: size, before } : { first: size, after: after ?? null };
}

/** A query parameter given once and not empty. */
export const one = (v: LocationQuery[string] | undefined): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** A member of `allowed`, or undefined (what a hand-edited URL names is not trusted). */
export function oneOf<T extends string>(v: LocationQuery[string] | undefined, allowed: readonly T[]): T | undefined {
  const s = one(v);
  return allowed.includes(s as T) ? (s as T) : undefined;
}

/** Cursor paging of a list kept in the page (not the URL): the view's `load` reads `page` and sets `info`. */
export function useCursorPaging(size: number, load: () => Promise<void>) {
  const page = ref<PageArgs>({ first: size, after: null });
  const info = ref<PageInfoShown | null>(null);
  const hasPrev = computed(() => info.value?.hasPreviousPage ?? false);
  const hasNext = computed(() => info.value?.hasNextPage ?? false);
  function next(): Promise<void> {
    page.value = { first: size, after: info.value?.endCursor ?? null };
    return load();
  }
  function prev(): Promise<void> {
    page.value = pageArgs(size, null, info.value?.startCursor);
    return load();
  }
  /** the first page again (a filter changed) */
  function restart(): Promise<void> {
    page.value = { first: size, after: null };
    return load();
  }
  /** this page again (after a change to one of its rows) */
  const reload = () => load();
  return { page, info, hasPrev, hasNext, next, prev, restart, reload };
}

type Fetched<T> = { rows: T[]; pageInfo: PageInfoShown } | string;

/** A page of rows kept in memory: `fetch` gives one page's rows, or an error text. */
export function usePager<T>(size: number, fetch: (page: PageArgs) => Promise<Fetched<T>>) {
  const rows = shallowRef<T[]>([]) as Ref<T[]>;
  const error = ref('');
  const loading = ref(false);
  const paging = useCursorPaging(size, async () => {
    loading.value = true;
    try {
      const r = await fetch(paging.page.value);
      if (typeof r === 'string') {
        error.value = r;
        return;
      }
      error.value = '';
      rows.value = r.rows;
      paging.info.value = r.pageInfo;
    } finally {
      loading.value = false;
    }
  });
  return { rows, pageInfo: paging.info, error, loading, ...paging, load: paging.reload };
}

/** A list's filters as they are kept in the URL: each a query parameter's string, or absent. */
export type UrlFilters = Record<string, string | undefined>;

const DEFAULT_SIZE = 20;

/**
 * A list whose whole state is in the URL — its filters, page size and cursor — so that back from
 * a row's page returns to the same page, and a page can be linked to. The view keeps its filter
 * form: `onFilters` fills it from the URL at each load, and Search hands the form's values to
 * `search` (the first page of them). Paging keeps the filters of the URL, not what the form was
 * changed to since. Values read from the URL are the view's to check (`oneOf`): a hand-edited URL
 * is not trusted.
 */
export function useUrlList<T>(opts: {
  /** the route the list is on: a query change on another route (a row's page) is not the list's */
  routeName: string;
  /** the query parameters of the filters */
  keys: readonly string[];
  fetch: (filters: UrlFilters, page: PageArgs) => Promise<Fetched<T>>;
  onFilters?: (filters: UrlFilters) => void;
  defaultSize?: number;
}) {
  const route = useRoute();
  const router = useRouter();
  const defaultSize = opts.defaultSize ?? DEFAULT_SIZE;
  const applied = computed(() => {
    const q = route.query;
    const size = Number(one(q.size) ?? defaultSize);
    return {
      filters: Object.fromEntries(opts.keys.map((k) => [k, one(q[k])])) as UrlFilters,
      size: Number.isInteger(size) && size >= 1 && size <= 500 ? size : defaultSize,
      after: one(q.after),
      before: one(q.before),
    };
  });
  /** the page size the form shows (applied with Search) */
  const size = ref(defaultSize);
  const rows = shallowRef<T[]>([]) as Ref<T[]>;
  const pageInfo = ref<PageInfoShown | null>(null);
  const loading = ref(false);
  const error = ref('');

  async function load(): Promise<void> {
    const a = applied.value;
    size.value = a.size;
    opts.onFilters?.(a.filters);
    loading.value = true;
    try {
      const r = await opts.fetch(a.filters, pageArgs(a.size, a.after, a.before));
      if (typeof r === 'string') {
        error.value = r;
        rows.value = [];
        return;
      }
      error.value = '';
      rows.value = r.rows;
      pageInfo.value = r.pageInfo;
    } finally {
      loading.value = false;
    }
  }

  function go(filters: UrlFilters, pageSize: number, cursor: { after?: string; before?: string }): void {
    const query: Record<string, string> = {};
    const all: UrlFilters = { ...filters, size: pageSize === defaultSize ? undefined : String(pageSize), ...cursor };
    for (const [k, v] of Object.entries(all)) if (v) query[k] = v;
    // the same URL again (Search pressed twice): read it again, the rows may have changed
    if (JSON.stringify(query) !== JSON.stringify(route.query)) void router.push({ query });
    else void load();
  }

  watch(
    () => route.query,
    () => {
      if (route.name === opts.routeName) void load();
    },
  );
  onMounted(() => void load());

  return {
    rows,
    pageInfo,
    loading,
    error,
    size,
    /** the first page of these filters, at the form's page size */
    search: (filters: UrlFilters) => go(filters, size.value, {}),
    hasPrev: computed(() => pageInfo.value?.hasPreviousPage ?? false),
    hasNext: computed(() => pageInfo.value?.hasNextPage ?? false),
    prev: () => go(applied.value.filters, applied.value.size, { before: pageInfo.value?.startCursor ?? undefined }),
    next: () => go(applied.value.filters, applied.value.size, { after: pageInfo.value?.endCursor ?? undefined }),
    /** this page again (after a change to one of its rows) */
    reload: load,
  };
}
