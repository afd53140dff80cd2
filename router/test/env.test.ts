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
