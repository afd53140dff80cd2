import { DATA_SCOPES, PERMISSIONS, type DataScope, type Identity } from '@evcs/platform';

/** Narrowest first: a scope's rank grows with how much it can read. */
const RANK: Record<DataScope, number> = { SELF: 0, ASSIGNED_STATIONS: 1, TENANT: 2, TENANT_AND_CHILDREN: 3, ALL: 4 };

export const scopeRank = (s: DataScope): number => RANK[s];
export const isDataScope = (s: string): s is DataScope => (DATA_SCOPES as readonly string[]).includes(s);
export const isPermission = (p: string): boolean => (PERMISSIONS as readonly string[]).includes(p);

/** The widest of a user's role scopes; a user without roles reads only its own things. */
export function widestScope(scopes: readonly DataScope[]): DataScope {
  return scopes.reduce<DataScope>((w, s) => (RANK[s] > RANK[w] ? s : w), 'SELF');
}

/** Whether reads reach below the own tenant. ALL is still bounded by the tenant's subtree. */
export const readsDescendants = (s: DataScope): boolean => s === 'ALL' || s === 'TENANT_AND_CHILDREN';

export interface RoleGrant {
  code: string;
  dataScope: DataScope;
  permissions: readonly string[];
}

export interface AccessFacts {
  userId: string;
  tenantId: string;
  roles: readonly RoleGrant[];
  /** the tenant's descendants (all depths), excluding itself */
  descendantTenantIds: readonly string[];
  /** stations the user is assigned to */
  stationIds: readonly string[];
}

/**
 * The identity an access token carries for a user: exactly the claims the
 * router and subgraphs read (sub, kind, tid, roles, perms, ds, vt, st).
 */
export function accessIdentity(f: AccessFacts): Identity {
  const dataScope = widestScope(f.roles.map((r) => r.dataScope));
  const permissions = [...new Set(f.roles.flatMap((r) => r.permissions))].filter(isPermission).sort();
  const visible = readsDescendants(dataScope) ? [f.tenantId, ...[...new Set(f.descendantTenantIds)].filter((t) => t !== f.tenantId).sort()] : [f.tenantId];
  return {
    subject: f.userId,
    kind: 'user',
    tenantId: f.tenantId,
    roles: [...new Set(f.roles.map((r) => r.code))].sort(),
    permissions,
    dataScope,
    visibleTenantIds: visible,
    ...(dataScope === 'ASSIGNED_STATIONS' ? { stationIds: [...new Set(f.stationIds)].sort() } : {}),
  };
}

/** Who is acting: a verified identity reduced to what authorization needs. */
export interface Actor {
  kind: 'user' | 'service';
  /** user id, or the service name */
  subject: string;
  tenantId: string;
  permissions: readonly string[];
  dataScope: DataScope | null;
}

export function actorOf(identity: Identity, tenantId: string): Actor {
  return { kind: identity.kind, subject: identity.subject, tenantId, permissions: identity.permissions, dataScope: identity.dataScope ?? null };
}

/** The actor's user id for audit records (services have none). */
export const actorUserId = (a: Actor): string | null => (a.kind === 'user' ? a.subject : null);

/**
 * No one hands out more than they hold: every permission must be the actor's
 * own, and the data scope no wider than the actor's. Services are trusted.
 */
export function canGrant(
  actor: Actor,
  permissions: readonly string[],
  /** null: no data scope is being granted */
  dataScope: DataScope | null,
): { ok: true } | { ok: false; missing: string[]; scopeTooWide: boolean } {
  const missing = permissions.filter((p) => !actor.permissions.includes(p));
  const scopeTooWide = dataScope !== null && (!actor.dataScope || RANK[dataScope] > RANK[actor.dataScope]);
  return missing.length === 0 && !scopeTooWide ? { ok: true } : { ok: false, missing, scopeTooWide };
}
