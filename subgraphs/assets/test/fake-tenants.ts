import http from 'node:http';
import { buildSchema, graphql } from 'graphql';
import { bearer, listen, readBody, SigningKey, TokenVerifier } from '@evcs/platform';

/**
 * Test double of the tenants subgraph's service-only contract, at the HTTP
 * level: a real GraphQL endpoint that answers `tenantQuotas(tenantId)` the way
 * the tenants subgraph will — and, like it, only to a verified service token
 * (signature, issuer, audience, kind 'service'). `offerQuotas: false` stands in
 * for today's placeholder tenants subgraph, which has no such query.
 */
export interface FakeTenants {
  url: string;
  quotas: Map<string, { maxStations: number | null; maxChargers: number | null; maxUsers: number | null }>;
  /** requests seen, with the verified subject (or the error) */
  calls: { subject?: string; error?: string }[];
  offerQuotas: boolean;
  /** answer HTTP 503, as an overloaded or restarting service would */
  down: boolean;
  stop(): Promise<void>;
}

const WITH_QUOTAS = buildSchema(`
  type TenantQuotas { tenantId: ID! maxStations: Int maxChargers: Int maxUsers: Int }
  type Query { tenantQuotas(tenantId: ID!): TenantQuotas currentTenant: String }
`);
const PLACEHOLDER = buildSchema('type Query { currentTenant: String }');

export async function startFakeTenants(trustedKeys: SigningKey['publicJwk'][], issuers = ['evcs-assets']): Promise<FakeTenants> {
  const verifier = new TokenVerifier({ keys: trustedKeys }, issuers);
  const state: Omit<FakeTenants, 'url' | 'stop'> = { quotas: new Map(), calls: [], offerQuotas: true, down: false };
  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = http.createServer((req, res) => {
    void (async () => {
      if (state.down) return send(res, 503, { errors: [{ message: 'unavailable' }] });
      const body = JSON.parse(await readBody(req)) as { query: string; variables?: Record<string, unknown> };
      const token = bearer(req.headers.authorization);
      let subject: string;
      try {
        if (!token) throw new Error('no token');
        const id = await verifier.verify(token);
        if (id.kind !== 'service') throw new Error('not a service identity');
        subject = id.subject;
      } catch (e) {
        state.calls.push({ error: (e as Error).message });
        return send(res, 401, { errors: [{ message: 'Invalid or expired token', extensions: { code: 'UNAUTHENTICATED' } }] });
      }
      state.calls.push({ subject });
      const result = await graphql({
        schema: state.offerQuotas ? WITH_QUOTAS : PLACEHOLDER,
        source: body.query,
        variableValues: body.variables,
        rootValue: {
          tenantQuotas: ({ tenantId }: { tenantId: string }) => {
            const q = state.quotas.get(tenantId);
            return q ? { tenantId, ...q } : null;
          },
        },
      });
      const failedValidation = result.errors && !result.data;
      send(res, failedValidation ? 400 : 200, {
        ...result,
        ...(result.errors
          ? {
              errors: result.errors.map((e) => ({
                message: e.message,
                extensions: { code: failedValidation ? 'GRAPHQL_VALIDATION_FAILED' : 'INTERNAL_SERVER_ERROR' },
              })),
            }
          : {}),
      });
    })();
  });
  const port = await listen(server, 0);
  const fake = Object.assign(state, {
    url: `http://127.0.0.1:${port}/graphql`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
  return fake as FakeTenants;
}
