import { computed, ref } from 'vue';
import type { PageShownFragment } from '../../gql/graphql';
import type { PageArgs } from './format';

/**
 * Cursor paging of a list kept in the page (not the URL): forwards with first/after from the
 * page's endCursor, backwards with last/before from its startCursor. `load` reads `page`.
 */
export function useCursorPaging(size: number, load: () => Promise<void>) {
  const page = ref<PageArgs>({ first: size, after: null });
  const info = ref<PageShownFragment | null>(null);
  const hasPrev = computed(() => info.value?.hasPreviousPage ?? false);
  const hasNext = computed(() => info.value?.hasNextPage ?? false);
  function next(): Promise<void> {
    page.value = { first: size, after: info.value?.endCursor ?? null };
    return load();
  }
  function prev(): Promise<void> {
    const before = info.value?.startCursor;
    page.value = before ? { last: size, before } : { first: size, after: null };
    return load();
  }
  function restart(): Promise<void> {
    page.value = { first: size, after: null };
    return load();
  }
  return { page, info, hasPrev, hasNext, next, prev, restart };
}
