import { ErrorCodes, Identity, requestReadScopes } from '../src';

const T = '0b6f3c1e-1111-4a4a-8a8a-000000000001';
const CHILD = '0b6f3c1e-1111-4a4a-8a8a-000000000002';

const user = (over: Partial<Identity> = {}): Identity => ({
  subject: 'u-1',
  kind: 'user',
  tenantId: T,
  roles: ['operator'],
  permissions: ['order:read'],
  dataScope: 'TENANT_AND_CHILDREN',
  visibleTenantIds: [T, CHILD],
  ...over,
});
const service = (over: Partial<Identity> = {}): Identity => ({
  subject: 'orders',
  kind: 'service',
  tenantId: T,
  roles: [],
  permissions: ['tariff:read', 'order:read', 'payment:read'],
  ...over,
});

const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
};

describe('requestReadScopes', () => {
  it('resolves a user scope from the token and checks the permission', () => {
    const scopes = requestReadScopes(user());
    expect(scopes('order:read')).toEqual({ scope: 'TENANT_AND_CHILDREN', tenantId: T, tenantIds: [T, CHILD], stationIds: null, selfSubject: null });
    expect(codeOf(() => scopes('payment:read'))).toBe(ErrorCodes.FORBIDDEN);
  });

  it('resolves each permission once per request', () => {
    const scopes = requestReadScopes(user());
    expect(scopes('order:read')).toBe(scopes('order:read'));
  });

  it('fails without a tenant rather than defaulting one', () => {
    expect(codeOf(() => requestReadScopes(user({ tenantId: null }))('order:read'))).toBe(ErrorCodes.TENANT_CONTEXT_MISSING);
    expect(codeOf(() => requestReadScopes(service({ tenantId: null }), 'token-tenant')('order:read'))).toBe(ErrorCodes.TENANT_CONTEXT_MISSING);
  });

  it('treats services as the subgraph says', () => {
    expect(requestReadScopes(service(), 'token-tenant')('tariff:read')).toEqual({
      scope: 'TENANT',
      tenantId: T,
      tenantIds: [T],
      stationIds: null,
      selfSubject: null,
    });
    expect(codeOf(() => requestReadScopes(service(), 'forbidden')('payment:read'))).toBe(ErrorCodes.FORBIDDEN);
    // by data scope: a service token carries none, so it reads nothing
    expect(codeOf(() => requestReadScopes(service())('order:read'))).toBe(ErrorCodes.FORBIDDEN);
  });

  it('holds services to the permissions their token carries, like users', () => {
    expect(codeOf(() => requestReadScopes(service({ permissions: [] }), 'token-tenant')('tariff:read'))).toBe(ErrorCodes.FORBIDDEN);
  });
});
