import { computed, ref, shallowRef, type Ref } from 'vue';

/** A mutation's expected failure, as its payload's userErrors carry it. */
export interface Problem {
  code: string;
  message: string;
  field?: string | null;
}

/** What a person reads of failed mutations: each code with its message (and the field at fault). */
export function problemText(problems: readonly Problem[]): string {
  return problems.map((p) => `${p.code}${p.field ? ` (${p.field})` : ''}: ${p.message}`).join('; ');
}

export interface PageInfoShown {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor?: string | null;
  endCursor?: string | null;
}

export type PageArgs = { first: number; after: string | null } | { last: number; before: string | null };

/**
 * A Relay connection shown a page at a time: forwards with first/after from the page's endCursor,
 * backwards with last/before from its startCursor. `fetch` gives the page's rows, or an error text.
 */
export function usePager<T>(size: number, fetch: (page: PageArgs) => Promise<{ rows: T[]; pageInfo: PageInfoShown } | string>) {
  const rows = shallowRef<T[]>([]) as Ref<T[]>;
  const pageInfo = ref<PageInfoShown | null>(null);
  const error = ref('');
  const loading = ref(false);
  let current: PageArgs = { first: size, after: null };
  async function load(page: PageArgs = current): Promise<void> {
    current = page;
    loading.value = true;
    try {
      const r = await fetch(page);
      if (typeof r === 'string') {
        error.value = r;
        return;
      }
      error.value = '';
      rows.value = r.rows;
      pageInfo.value = r.pageInfo;
    } finally {
      loading.value = false;
    }
  }
  return {
    rows,
    pageInfo,
    error,
    loading,
    load,
    /** the first page again (a filter changed) */
    restart: () => load({ first: size, after: null }),
    hasPrev: computed(() => pageInfo.value?.hasPreviousPage ?? false),
    hasNext: computed(() => pageInfo.value?.hasNextPage ?? false),
    prev: () => load({ last: size, before: pageInfo.value?.startCursor ?? null }),
    next: () => load({ first: size, after: pageInfo.value?.endCursor ?? null }),
  };
}

export interface TenantLike {
  id: string;
  code: string;
  name: string;
  type: string;
  status: string;
  children?: readonly TenantLike[];
}

export interface TenantTreeNode {
  id: string;
  label: string;
  type: string;
  status: string;
  children: TenantTreeNode[];
}

/** The nested tenants as el-tree nodes, children by code. */
export function tenantTree(t: TenantLike): TenantTreeNode {
  return {
    id: t.id,
    label: `${t.name} (${t.code})`,
    type: t.type,
    status: t.status,
    children: [...(t.children ?? [])].sort((a, b) => a.code.localeCompare(b.code)).map(tenantTree),
  };
}

/** The child types a tenant of this type may have (as the tenants service rules: platform → operators, partners; operator → partners). */
export function childTypes(type: string): ('OPERATOR' | 'PARTNER')[] {
  if (type === 'PLATFORM') return ['OPERATOR', 'PARTNER'];
  if (type === 'OPERATOR') return ['PARTNER'];
  return [];
}

export const DATA_SCOPES = ['ALL', 'TENANT_AND_CHILDREN', 'TENANT', 'ASSIGNED_STATIONS', 'SELF'] as const;

/** Roles the caller may hand out: none with a permission the caller lacks (the API refuses those: GRANT_NOT_ALLOWED). */
export function grantable<R extends { permissions: readonly string[] }>(roles: readonly R[], mine: readonly string[]): R[] {
  return roles.filter((r) => r.permissions.every((p) => mine.includes(p)));
}
