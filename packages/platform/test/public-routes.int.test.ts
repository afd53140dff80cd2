import http from 'node:http';
import { GraphQLObjectType, GraphQLSchema, GraphQLString } from 'graphql';
import { createLogger, createSubgraphServer, listen, readBody, SubgraphServer, TokenVerifier } from '../src';

// Public POST routes (payment-channel notifications) match their exact canonical path only,
// take POST only, and never open the GraphQL endpoint without a token.
describe('publicPostRoutes', () => {
  let srv: SubgraphServer;
  let base: string;
  const seen: string[] = [];

  beforeAll(async () => {
    const schema = new GraphQLSchema({ query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLString, resolve: () => 'ok' } } }) });
    srv = await createSubgraphServer({
      name: 'routes-test',
      schema,
      verifier: new TokenVerifier({ keys: [] }, ['nobody']),
      logger: createLogger('routes-test', { level: 'silent' }),
      extendContext: (b) => b,
      publicPostRoutes: {
        '/notify/test': async (req, res) => {
          seen.push(await readBody(req));
          res.writeHead(200, { 'content-type': 'text/plain' }).end('success');
        },
        '/notify/broken': () => Promise.reject(new Error('boom')),
      },
      publicPrefixRoutes: [
        {
          prefix: '/upload/',
          methods: ['PUT', 'POST'],
          handle: (req, res, segments) => {
            req.resume();
            res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(segments));
          },
        },
      ],
    });
    base = `http://127.0.0.1:${await listen(srv.server, 0)}`;
  });
  afterAll(() => srv.stop());

  it('hands the raw body to the handler of the exact path', async () => {
    const r = await fetch(`${base}/notify/test`, { method: 'POST', body: 'a=1&b=2' });
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('success');
    expect(seen).toEqual(['a=1&b=2']);
  });

  // raw paths, exactly as sent (fetch would normalise dot segments before sending)
  const rawPost = (path: string) =>
    new Promise<number>((resolve, reject) => {
      const req = http.request(`${base}/`, { method: 'POST', path }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end('x');
    });

  it.each(['/notify/test/', '/notify/../notify/test', '/notify/./test', '/Notify/test', '/notify//test', '/notify/%74est', '/notify', '/notify/test.'])(
    'does not match %s',
    async (p) => {
      expect(await rawPost(p)).toBe(404);
    },
  );

  it('answers 405 to other methods', async () => {
    expect((await fetch(`${base}/notify/test`)).status).toBe(405);
  });

  it('answers 500 without details when the handler fails', async () => {
    const r = await fetch(`${base}/notify/broken`, { method: 'POST', body: 'x' });
    expect(r.status).toBe(500);
    expect(await r.json()).toEqual({ error: 'internal error' });
  });

  it('still requires a token for GraphQL', async () => {
    const r = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ ok }' }) });
    expect(r.status).toBe(401);
  });

  it('a prefix route gets the segments after its prefix, for its methods only; paths are canonical first', async () => {
    const r = await fetch(`${base}/upload/abc/0123`, { method: 'PUT', body: 'x' });
    expect(await r.json()).toEqual(['abc', '0123']);
    expect((await fetch(`${base}/upload/abc`, { method: 'GET' })).status).toBe(405);
    for (const p of ['/upload/../notify/test', '/upload//x', '/Upload/x', '/upload/x/']) expect(await rawPost(p)).toBe(404);
  });
});
