import type * as jose from 'jose';
import type { Permission, ServiceScope } from './authz';
import { INTERNAL_AUDIENCE, TokenVerifier, type Identity, type TokenPolicy } from './identity';

/** The router's internal tokens relay verified client identities (users) to subgraphs. */
export const ROUTER_ISSUER = 'evcs-router';

/**
 * What each platform service may ask of the others: the scopes its tokens carry
 * (ServiceGraphQLClient puts them in `perms`) and the most any token of its issuer
 * may claim. Subgraphs refuse a service token claiming more, so a service's key
 * cannot mint itself wider rights, and a service calling beyond its grant is
 * FORBIDDEN like a user without the permission.
 */
export const SERVICE_GRANTS: Readonly<Record<string, readonly (Permission | ServiceScope)[]>> = {
  // looks up charger registrations and tariffs, records what chargers report, asks who may charge; writes no configuration
  'evcs-bridge': ['charger-registration:read', 'charger-login:record', 'tariff:read', 'idtag:authorize'],
  // asks for a tenant's quotas when stations and chargers are created
  'evcs-assets': ['tenant-quota:read'],
  // looks chargers up and prices sessions
  'evcs-orders': ['station:read', 'tariff:read'],
  // takes a binding's station and protocol from the charger; re-prices a station's completed sessions under a draft (tariffImpact)
  'evcs-tariffs': ['station:read', 'completed-sessions:read'],
  // asks orders for a payable order whose order.completed has not arrived yet (read-your-writes for createPayment),
  // and hands orders each payment and refund fact as it commits, ahead of its event (read-your-writes for PAID, REFUNDED)
  'evcs-payments': ['order-payable:read', 'order-payment:write'],
};

/** Issuers whose internal tokens subgraphs accept. */
export const INTERNAL_ISSUERS: readonly string[] = [ROUTER_ISSUER, ...Object.keys(SERVICE_GRANTS)];

/** The scopes a service's tokens carry: its grant, or none for an issuer without one. */
export function serviceScopesOf(issuer: string): string[] {
  return [...(SERVICE_GRANTS[issuer] ?? [])];
}

/**
 * Each internal issuer signs only what it may: the router relays users, a
 * service signs service identities for at most one tenant, within its grant.
 */
export const INTERNAL_TOKEN_POLICY: TokenPolicy = (identity: Identity, issuer: string) => {
  if (issuer === ROUTER_ISSUER) {
    if (identity.kind !== 'user') throw new Error('the router relays user identities only');
    return;
  }
  const grant = SERVICE_GRANTS[issuer];
  if (!grant) throw new Error(`${issuer} has no service grant`);
  if (identity.kind !== 'service') throw new Error(`${issuer} signs service identities only`);
  const beyond = identity.permissions.filter((p) => !(grant as readonly string[]).includes(p));
  if (beyond.length > 0) throw new Error(`${issuer} may not grant ${beyond.join(', ')}`);
  if (identity.roles.length > 0 || identity.actor || identity.stationIds) throw new Error(`${issuer} signs no roles, actors or stations`);
  // a service acts for one tenant at a time (or none), never for a tenant tree
  const visible = identity.visibleTenantIds ?? [];
  if ((identity.dataScope && identity.dataScope !== 'TENANT') || visible.some((t) => t !== identity.tenantId)) {
    throw new Error(`${issuer} signs for one tenant at a time`);
  }
};

/** The verifier of every subgraph: internal issuers, each key bound to its issuer (`iss`), each issuer held to its grant. */
export function internalTokenVerifier(keys: jose.JSONWebKeySet): TokenVerifier {
  return new TokenVerifier(keys, [...INTERNAL_ISSUERS], INTERNAL_AUDIENCE, INTERNAL_TOKEN_POLICY);
}
