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
