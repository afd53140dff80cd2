import http from 'node:http';
import { readFileSync } from 'node:fs';
import { ApolloServer } from '@apollo/server';
import { ApolloGateway, RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { createGatewayRuntime } from '@graphql-hive/gateway-runtime';
import httpTransport from '@graphql-mesh/transport-http';
import { executeApollo, readJsonBody, sendJson } from '@evcs/platform';

/**
 * A peer gateway for bench:router, in its own process like our router: stock
 * Hive Gateway (its programmatic runtime) or stock Apollo Gateway (ApolloServer
 * + ApolloGateway, nothing added), over the same supergraph and subgraphs. It
 * authenticates nobody: every subgraph request carries the fixed header
 * PEER_AUTHORIZATION (a router-signed internal token, pre-signed by the
 * benchmark for the same identity as the client's token), which is what the
 * subgraphs require.
 *
 *   PEER=hive|apollo PORT=… SUPERGRAPH_PATH=… PEER_AUTHORIZATION='Bearer …' SUBGRAPH_URL_ASSETS=… node peer-gateway.js
 *
 * A benchmark fixture, not a component of the platform.
 */
function supergraphWithUrls(): string {
  let sdl = readFileSync(process.env.SUPERGRAPH_PATH!, 'utf8');
  for (const [k, v] of Object.entries(process.env)) {
    const m = /^SUBGRAPH_URL_(.+)$/.exec(k);
    if (m && v) sdl = sdl.replace(new RegExp(`(@join__graph\\(name: "${m[1].toLowerCase()}", url: ")[^"]*(")`), `$1${v}$2`);
  }
  return sdl;
}

const authorization = process.env.PEER_AUTHORIZATION!;

async function hive(): Promise<http.RequestListener> {
  const gateway = createGatewayRuntime({
    supergraph: supergraphWithUrls(),
    logging: false,
    landingPage: false,
    graphqlEndpoint: '/graphql',
    propagateHeaders: { fromClientToSubgraphs: () => ({ authorization }) },
    // its HTTP transport (otherwise imported by name at the first request)
    transports: { http: httpTransport },
  });
  return gateway as unknown as http.RequestListener;
}

async function apollo(): Promise<http.RequestListener> {
  process.env.APOLLO_TELEMETRY_DISABLED ??= 'true';
  const gateway = new ApolloGateway({
    supergraphSdl: supergraphWithUrls(),
    buildService: ({ url }) =>
      new (class extends RemoteGraphQLDataSource {
        override willSendRequest({ request }: GraphQLDataSourceProcessOptions): void {
          request.http?.headers.set('authorization', authorization);
        }
      })({ url }),
  });
  const server = new ApolloServer({ gateway });
  await server.start();
  return (req, res) => {
    if (req.url?.startsWith('/health')) return sendJson(res, 200, { status: 'ok' });
    void readJsonBody(req).then((body) => executeApollo(server, req, res, body, {}));
  };
}

async function main(): Promise<void> {
  const handler = process.env.PEER === 'hive' ? await hive() : await apollo();
  const server = http.createServer((req, res) => {
    // Hive's own readiness endpoint is /readiness; the process group polls /health/ready.
    if (req.url?.startsWith('/health')) return sendJson(res, 200, { status: 'ok' });
    handler(req, res);
  });
  server.keepAliveTimeout = 65_000;
  server.listen(Number(process.env.PORT), '127.0.0.1');
  // stdin closes when the benchmark goes (ProcessGroup): go with it
  process.stdin.on('close', () => process.exit(0)).resume();
  process.once('SIGTERM', () => process.exit(0));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
