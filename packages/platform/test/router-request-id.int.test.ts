import type { JWK } from 'jose';
import { GraphQLObjectType, GraphQLSchema, GraphQLString } from 'graphql';
import { createLogger, createSubgraphServer, generateSigningKey, listen, ROUTER_REQUEST_ID_HEADER, SubgraphServer, TokenIssuer, TokenVerifier } from '../src';

// The router shares one token between an identity's queries and sends each request's id beside it.
// A subgraph takes that id only next to a router-signed token that has none of its own.
const bound = (jwk: JWK, iss: string): JWK => ({ ...jwk, iss }) as JWK;

describe('the router request id beside a shared query token', () => {
  let srv: SubgraphServer;
  let url: string;
  let router: TokenIssuer;
  let other: TokenIssuer;
  const identity = { subject: 'u', kind: 'user' as const, tenantId: 't', roles: [], permissions: [] };

  beforeAll(async () => {
    const routerKey = await generateSigningKey('router-k');
    const otherKey = await generateSigningKey('other-k');
    router = new TokenIssuer(routerKey, 'evcs-router');
    // a key the subgraph trusts for another issuer (the bridge signs its own tokens)
    other = new TokenIssuer(otherKey, 'evcs-bridge');
    const schema = new GraphQLSchema({ query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLString, resolve: () => 'ok' } } }) });
    srv = await createSubgraphServer({
      name: 'rid-test',
      schema,
      // each key bound to its issuer (its "iss"), as in the platform's internal key set
      verifier: new TokenVerifier({ keys: [bound(routerKey.publicJwk, 'evcs-router'), bound(otherKey.publicJwk, 'evcs-bridge')] }, [
        'evcs-router',
        'evcs-bridge',
      ]),
      logger: createLogger('rid-test', { level: 'silent' }),
      publicRootFields: ['ok'],
      extendContext: (b) => b,
    });
    url = `http://127.0.0.1:${await listen(srv.server, 0)}/graphql`;
  });
  afterAll(() => srv.stop());

  const requestIdOf = async (headers: Record<string, string>) => {
    const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query: '{ ok }' }) });
    expect(r.status).toBe(200);
    return r.headers.get('x-request-id');
  };

  it("takes it next to the router's token without a signed id", async () => {
    const token = await router.issue(identity, 60, { request: { clientIp: '198.51.100.1' } });
    expect(await requestIdOf({ authorization: `Bearer ${token}`, [ROUTER_REQUEST_ID_HEADER]: 'router-req-1' })).toBe('router-req-1');
  });

  it('prefers the signed id of a per-request token', async () => {
    const token = await router.issue(identity, 60, { request: { requestId: 'signed-req', clientIp: '198.51.100.1' } });
    expect(await requestIdOf({ authorization: `Bearer ${token}`, [ROUTER_REQUEST_ID_HEADER]: 'forged' })).toBe('signed-req');
  });

  it('ignores it from a caller without a token, or with another issuer’s', async () => {
    expect(await requestIdOf({ [ROUTER_REQUEST_ID_HEADER]: 'forged-anonymous' })).not.toBe('forged-anonymous');
    const token = await other.issue(identity);
    expect(await requestIdOf({ authorization: `Bearer ${token}`, [ROUTER_REQUEST_ID_HEADER]: 'forged-service' })).not.toBe('forged-service');
  });
});
