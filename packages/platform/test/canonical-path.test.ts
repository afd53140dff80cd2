import { canonicalPath } from '../src/http';

// Allowlisted paths (health, metrics, JWKS) must match only their exact canonical form:
// every traversal or encoding trick is refused (null), so it can't reach an allowlisted handler
// while meaning another path to something downstream.
describe('canonicalPath', () => {
  it.each([
    ['/health/live', '/health/live'],
    ['/graphql', '/graphql'],
    ['/graphql?query=x', '/graphql'],
    ['/.well-known/jwks.json', '/.well-known/jwks.json'],
    ['/', '/'],
  ])('accepts %s as %s', (raw, canonical) => {
    expect(canonicalPath(raw)).toBe(canonical);
  });

  it.each([
    '/health/../graphql',
    '/health/./live',
    '/health/%2e%2e/graphql',
    '/health%2flive',
    '/health%2Flive',
    '/%68ealth/live',
    '//health/live',
    '/health//live',
    '/HEALTH/live',
    '/Health/Live',
    '/health/live/',
    '/health/live.',
    '/health/live..',
    '/health/..',
    'health/live',
    '',
    '/health/live%00',
    '/health\\..\\graphql',
  ])('refuses %j', (raw) => {
    expect(canonicalPath(raw)).toBeNull();
  });

  it('refuses a missing url', () => {
    expect(canonicalPath(undefined)).toBeNull();
  });
});
