import path from 'node:path';
import { loadEnv, REPO_ROOT } from '../src/env';

describe('loadEnv', () => {
  const base = { AUTH_JWKS_FILE: 'secrets/client-jwks.json', ROUTER_SIGNING_KEY_FILE: '/abs/router.jwk' };

  it('applies defaults and resolves relative paths from the repository root', () => {
    const env = loadEnv({ ...base, INSTANCE_ID: 'r1' });
    expect(env.port).toBe(4000);
    expect(env.host).toBe('127.0.0.1');
    expect(env.trustedProxies).toEqual([]);
    expect(env.supergraphPath).toBe(path.join(REPO_ROOT, 'schema/supergraph.graphql'));
    expect(env.authJwksFile).toBe(path.join(REPO_ROOT, 'secrets/client-jwks.json'));
    expect(env.signingKeyFile).toBe('/abs/router.jwk');
    expect(env.kafkaBrokers).toEqual(['127.0.0.1:9092']);
    expect(env.instanceId).toBe('r1');
    expect(env.subgraphUrls).toEqual({});
    expect(env.chargerEventsTopic).toBe('evcs.charger-events.v1');
    expect(env.accessEventsTopic).toBe('evcs.access-events.v1');
  });

  it('names its topics and consumer groups within KAFKA_NAMESPACE, as the subgraphs do', () => {
    const env = loadEnv({ ...base, KAFKA_NAMESPACE: 'ci_42' });
    expect(env.chargerEventsTopic).toBe('ci_42.evcs.charger-events.v1');
    expect(env.accessEventsTopic).toBe('ci_42.evcs.access-events.v1');
    expect(env.names.group('router-r1')).toBe('ci_42.router-r1');
  });

  it('reads the operation limits, and offers introspection only when asked or in development', () => {
    expect(loadEnv(base).queryLimits).toEqual({ maxDepth: 10, maxAliases: 30, maxDirectives: 20, maxTokens: 2000, maxCost: 50_000, introspection: false });
    const set = loadEnv({
      ...base,
      ROUTER_MAX_DEPTH: '7',
      ROUTER_MAX_ALIASES: '3',
      ROUTER_MAX_DIRECTIVES: '4',
      ROUTER_MAX_TOKENS: '500',
      ROUTER_MAX_COST: '900',
    });
    expect(set.queryLimits).toMatchObject({ maxDepth: 7, maxAliases: 3, maxDirectives: 4, maxTokens: 500, maxCost: 900 });
    expect(loadEnv({ ...base, NODE_ENV: 'production' }).queryLimits.introspection).toBe(false);
    expect(loadEnv({ ...base, NODE_ENV: 'development' }).queryLimits.introspection).toBe(true);
    expect(loadEnv({ ...base, NODE_ENV: 'development', ROUTER_INTROSPECTION: 'false' }).queryLimits.introspection).toBe(false);
    expect(loadEnv({ ...base, NODE_ENV: 'production', ROUTER_INTROSPECTION: 'true' }).queryLimits.introspection).toBe(true);
    expect(() => loadEnv({ ...base, ROUTER_MAX_DEPTH: '0' })).toThrow(/ROUTER_MAX_DEPTH/);
  });

  it('reads the rate limits as N/S and its database', () => {
    const env = loadEnv({ ...base, ROUTER_RATE_SIGNIN_PER_IP: '3/30', DATABASE_URL: 'postgres://evcs_app@db:5432/evcs' });
    expect(env.rateLimits.signInPerIp).toEqual({ points: 3, durationSeconds: 30 });
    expect(env.rateLimits.signInPerUsername).toEqual({ points: 5, durationSeconds: 60 });
    expect(env.databaseUrl).toBe('postgres://evcs_app@db:5432/evcs');
    expect(() => loadEnv({ ...base, ROUTER_RATE_REFRESH_PER_IP: 'ten' })).toThrow(/ROUTER_RATE_REFRESH_PER_IP/);
  });

  it('collects SUBGRAPH_URL_<NAME> overrides by lower-cased name', () => {
    const env = loadEnv({ ...base, SUBGRAPH_URL_ASSETS: 'http://10.0.0.5:4002/graphql' });
    expect(env.subgraphUrls).toEqual({ assets: 'http://10.0.0.5:4002/graphql' });
  });

  it('takes the client JWKS from a URL instead of a file, and refuses both or neither', () => {
    const env = loadEnv({ ROUTER_SIGNING_KEY_FILE: '/k', AUTH_JWKS_URL: 'http://127.0.0.1:4001/.well-known/jwks.json' });
    expect(env.authJwksUrl).toBe('http://127.0.0.1:4001/.well-known/jwks.json');
    expect(env.authJwksFile).toBeUndefined();
    expect(() => loadEnv({ ...base, AUTH_JWKS_URL: 'http://127.0.0.1:4001/.well-known/jwks.json' })).toThrow(/exactly one/);
  });

  it('reports every problem at once', () => {
    let message = '';
    try {
      loadEnv({ PORT: 'x', KAFKA_NAMESPACE: 'Upper.Case', SUBGRAPH_URL_ASSETS: 'nope' });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('PORT');
    expect(message).toContain('KAFKA_NAMESPACE');
    expect(message).toContain('AUTH_JWKS_FILE');
    expect(message).toContain('ROUTER_SIGNING_KEY_FILE');
    expect(message).toContain('SUBGRAPH_URL_ASSETS');
  });

  it('binds HOST, and believes X-Forwarded-For only from ROUTER_TRUSTED_PROXIES (addresses or CIDRs)', () => {
    const env = loadEnv({ ...base, HOST: '0.0.0.0', ROUTER_TRUSTED_PROXIES: ' 10.0.0.0/8, ::1 ,loopback' });
    expect(env.host).toBe('0.0.0.0');
    expect(env.trustedProxies).toEqual(['10.0.0.0/8', '::1', 'loopback']);
    expect(() => loadEnv({ ...base, ROUTER_TRUSTED_PROXIES: '10.0.0.0/99' })).toThrow(/ROUTER_TRUSTED_PROXIES/);
    expect(() => loadEnv({ ...base, ROUTER_TRUSTED_PROXIES: 'edge.example' })).toThrow(/ROUTER_TRUSTED_PROXIES/);
  });
});
