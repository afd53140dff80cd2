import { isIdentityHeader, isPublicOperation, PUBLIC_ROOT_FIELDS } from '../src/auth';

describe('isPublicOperation', () => {
  const pub = (body: unknown) => isPublicOperation(body, PUBLIC_ROOT_FIELDS);

  it('accepts an operation made only of allowlisted root fields', () => {
    expect(pub({ query: 'mutation { login(email: "a", password: "b") { accessToken } }' })).toBe(true);
    expect(pub({ query: 'mutation { a: login(email: "a", password: "b") { accessToken } refreshToken(token: "x") { accessToken } }' })).toBe(true);
  });

  it('rejects anything else', () => {
    expect(pub({ query: 'mutation { login(email: "a", password: "b") { accessToken } deleteTenant }' })).toBe(false);
    expect(pub({ query: '{ __schema { types { name } } }' })).toBe(false);
    expect(pub({ query: 'mutation { ...F } fragment F on Mutation { login }' })).toBe(false);
    expect(pub({ query: 'mutation A { login } query B { me }' })).toBe(false);
    expect(pub({ query: 'mutation A { login } query B { me }', operationName: 'B' })).toBe(false);
    expect(pub({ query: 'not graphql' })).toBe(false);
    expect(pub([{ query: 'mutation { login }' }])).toBe(false);
    expect(pub(undefined)).toBe(false);
  });

  it('picks the named operation of a multi-operation document', () => {
    expect(pub({ query: 'mutation A { login } query B { me }', operationName: 'A' })).toBe(true);
  });
});

describe('isIdentityHeader', () => {
  it('covers the headers a client might try to assert identity with', () => {
    for (const h of ['Authorization', 'x-tenant-id', 'X-User-Id', 'x-roles', 'x-evcs-anything']) expect(isIdentityHeader(h)).toBe(true);
    expect(isIdentityHeader('x-request-id')).toBe(false);
    expect(isIdentityHeader('content-type')).toBe(false);
  });
});
