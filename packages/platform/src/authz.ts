import { AppError, ErrorCodes, TenantContextMissingError } from './errors';
import type { DataScope, Identity } from './identity';

/** Permission codes. Roles carry sets of these; resolvers check them. */
export const PERMISSIONS = [
  'station:read',
  'station:write',
  'charger:command',
  /** register chargers' credentials and security (passwords, profiles, YKC identities, tenant policy) */
  'charger:write',
  'tariff:read',
  'tariff:write',
  'order:read',
  'order:write',
  'payment:read',
  'payment:refund',
  'user:read',
  'user:write',
  'role:write',
  'tenant:read',
  'tenant:admin',
  'audit:read',
  'platform:cross-tenant',
  'idtag:read',
  'idtag:write',
  /** list and replay the messages consumers could never apply (dead letters, every tenant's): platform roles only */
  'event:replay',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export class ForbiddenError extends AppError {
  constructor(message: string) {
    super(ErrorCodes.FORBIDDEN, message);
  }
}

/**
 * What platform services may be granted beyond permissions (SERVICE_GRANTS): the
 * service-only operations, each behind its own scope.
 */
export const SERVICE_SCOPES = [
  /** assets.chargerRegistration: which tenant a connecting charger belongs to, with its credentials' hash */
  'charger-registration:read',
  /** assets.recordYkcPileIdentity / recordChargerLoginRefusal: what chargers report at login */
  'charger-login:record',
  /** tenants.authorizeIdTag / localAuthList */
  'idtag:authorize',
  /** tenants.tenantQuotas */
  'tenant-quota:read',
  /** orders.orderForPayment: an order's state and amount, for payments to take a payable order it has not heard of yet */
  'order-payable:read',
  /** orders.applyPaymentEvent: payments hands orders a payment or refund fact as it commits (read-your-writes; the event follows) */
  'order-payment:write',
  /** orders.completedSessionsForPricing: a station's completed sessions with their usage and billed amounts (tariffs' tariffImpact) */
  'completed-sessions:read',
] as const;
export type ServiceScope = (typeof SERVICE_SCOPES)[number];

/**
 * Throws FORBIDDEN unless the identity holds `permission`. Services too: their
 * tokens carry the permissions their grant gives them, and no more.
 */
export function requirePermission(identity: Identity, permission: Permission): void {
  if (!identity.permissions.includes(permission)) throw new ForbiddenError(`missing permission ${permission}`);
}

/** Throws FORBIDDEN unless a platform service whose token carries `scope` calls `what`. */
export function requireServiceScope(identity: Identity, scope: ServiceScope, what: string): void {
  if (identity.kind !== 'service') throw new ForbiddenError(`${what} is for platform services only`);
  if (!identity.permissions.includes(scope)) throw new ForbiddenError(`missing scope ${scope}`);
}

/**
 * What an identity may read, resolved once per request. Fail-closed: a user
 * token without a data scope reads nothing rather than everything.
 */
export interface ReadScope {
  scope: DataScope;
  /** the tenant writes go to */
  tenantId: string;
  /** tenants whose rows are visible (own tenant first) */
  tenantIds: string[];
  /** null = every station of those tenants; otherwise only these */
  stationIds: string[] | null;
  /** SELF: only rows the user owns (e.g. own orders) */
  selfSubject: string | null;
}

export function readScopeOf(identity: Identity): ReadScope {
  const tenantId = identity.tenantId;
  if (!tenantId) throw new TenantContextMissingError('read scope');
  const scope = identity.dataScope;
  if (!scope) throw new ForbiddenError('token carries no data scope');
  const visible = (identity.visibleTenantIds ?? []).filter((t) => t !== tenantId);
  switch (scope) {
    case 'ALL':
    case 'TENANT_AND_CHILDREN':
      // ALL is still bounded by the tenants the issuer listed: crossing into other
      // tenants' data goes through explicit, audited platform operations only.
      return { scope, tenantId, tenantIds: [tenantId, ...visible], stationIds: null, selfSubject: null };
    case 'TENANT':
      return { scope, tenantId, tenantIds: [tenantId], stationIds: null, selfSubject: null };
    case 'ASSIGNED_STATIONS':
      return { scope, tenantId, tenantIds: [tenantId], stationIds: identity.stationIds ?? [], selfSubject: null };
    case 'SELF':
      return { scope, tenantId, tenantIds: [tenantId], stationIds: [], selfSubject: identity.subject };
  }
}

/**
 * How a subgraph treats reads by platform services (whose tokens carry a tenant but no data scope):
 * - `by-data-scope`: like users, so a service token without a data scope reads nothing;
 * - `forbidden`: reads here are for users only;
 * - `token-tenant`: the service reads the one tenant its token names (orders pricing a session).
 */
export type ServiceReads = 'by-data-scope' | 'forbidden' | 'token-tenant';

/**
 * The per-request read scopes of one identity, each checked and resolved once:
 * FORBIDDEN without the permission, TENANT_CONTEXT_MISSING without a tenant.
 * Every subgraph's context builds its `readScope` from this.
 */
export function requestReadScopes(identity: Identity, services: ServiceReads = 'by-data-scope'): (permission: Permission) => ReadScope {
  const resolved = new Map<Permission, ReadScope>();
  return (permission) => {
    let scope = resolved.get(permission);
    if (!scope) {
      requirePermission(identity, permission);
      scope = identity.kind === 'service' ? serviceReadScope(identity, services) : readScopeOf(identity);
      resolved.set(permission, scope);
    }
    return scope;
  };
}

function serviceReadScope(identity: Identity, services: ServiceReads): ReadScope {
  if (services === 'forbidden') throw new ForbiddenError('reads here are for users');
  if (services === 'by-data-scope') return readScopeOf(identity);
  const tenantId = identity.tenantId;
  if (!tenantId) throw new TenantContextMissingError('read scope');
  return { scope: 'TENANT', tenantId, tenantIds: [tenantId], stationIds: null, selfSubject: null };
}
