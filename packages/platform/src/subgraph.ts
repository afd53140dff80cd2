import http from 'node:http';
import { isIP } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { GraphQLError, GraphQLFormattedError, GraphQLSchema, Kind, OperationDefinitionNode, parse } from 'graphql';
import { ErrorCodes, isAppError } from './errors';
import { randomUUID } from 'node:crypto';
import { ANONYMOUS, bearer, Identity, isAnonymous, requestContext, requireTenant, TokenVerifier, type RequestClaims } from './identity';
import { ROUTER_ISSUER } from './internal-tokens';
import { canonicalPath, executeApollo, readJsonBody, requestIdFrom, sendHttpError, sendJson } from './http';
import type { Logger } from './logger';
import { graphqlMetricsPlugin } from './metrics/graphql';
import { ReadinessCheck, readinessReport } from './readiness';

export interface BaseRequestContext {
  identity: Identity;
  requestId: string;
  log: Logger;
  /**
   * The end client's address as the router saw it, from the router-signed token
   * (never from a header, which any direct caller could write). For audit records.
   */
  clientIp: string | null;
  /** The tenant of this request, or TENANT_CONTEXT_MISSING. */
  tenantId(): string;
}

/**
 * The one shape of a subgraph's per-request context: `services` are the domain
 * services that decide and write, `reads` the read repositories the API pages
 * through, `loaders` the request's DataLoaders. Each is keyed by what it serves
 * (e.g. `services.sessions`, `reads.orders`), so a resolver reads the same way in
 * every subgraph; scope helpers (`readScope()`, actors) sit beside them.
 */
export interface SubgraphContext<Services, Reads, Loaders> extends BaseRequestContext {
  services: Services;
  reads: Reads;
  loaders: Loaders;
}

export interface SubgraphServerOptions<C extends BaseRequestContext> {
  name: string;
  schema: GraphQLSchema;
  verifier: TokenVerifier;
  logger: Logger;
  /** Root fields callable without identity (e.g. login). Everything else needs a verified token. */
  publicRootFields?: string[];
  /** Extend the base context with per-request state (DataLoaders etc.). Called once per request. */
  extendContext(base: BaseRequestContext): C;
  /** The readiness probe of what the server itself needs (a database ping), reported as `database`. */
  ready?: () => Promise<void>;
  /**
   * Further unauthenticated GET endpoints (e.g. a JWKS), by exact canonical path.
   * Like the health probes, they are matched after normalisation, never by prefix.
   */
  publicGetRoutes?: Record<string, (res: http.ServerResponse) => Promise<void> | void>;
  /**
   * Unauthenticated POST endpoints by exact canonical path (e.g. payment-channel
   * notifications, which authenticate by the channel's signature instead of a token).
   * The handler reads the body itself; the raw bytes are what signatures cover.
   */
  publicPostRoutes?: Record<string, (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void> | void>;
  /**
   * Unauthenticated endpoints under a path prefix (e.g. `/diagnostics/`, where chargers upload
   * files to a URL that carries its own one-time token), for the listed methods. The path is
   * canonical first (as every route's); the handler gets the segments after the prefix and
   * reads the body itself.
   */
  publicPrefixRoutes?: {
    prefix: string;
    methods: readonly string[];
    handle(req: http.IncomingMessage, res: http.ServerResponse, segments: string[]): Promise<void> | void;
  }[];
}

export interface SubgraphServer {
  server: http.Server;
  apollo: ApolloServer<any>;
  /** Further readiness checks (runSubgraphMain adds Kafka's); /health/ready runs them with the server's own. */
  addReadinessChecks(...checks: ReadinessCheck[]): void;
  stop(): Promise<void>;
}

/** Map errors to the client: stable code, human message, internals masked. */
export function formatError(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = error instanceof GraphQLError ? error.originalError : error;
    if (isAppError(original)) {
      return { ...formatted, message: original.message, extensions: { code: original.code, retriable: original.retriable } };
    }
    const code = formatted.extensions?.code;
    if (code && code !== 'INTERNAL_SERVER_ERROR') return formatted;
    if (original) logger.error({ err: original, path: formatted.path }, 'unexpected resolver error');
    return { message: 'Internal server error', path: formatted.path, extensions: { code: ErrorCodes.INTERNAL } };
  };
}

function rootFieldsOf(query: unknown): string[] | null {
  if (typeof query !== 'string') return null;
  try {
    const doc = parse(query);
    const ops = doc.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    if (ops.length !== 1) return null;
    return ops[0].selectionSet.selections.map((s) => (s.kind === Kind.FIELD ? s.name.value : '*'));
  } catch {
    return null;
  }
}

/** Builds (never listens) the HTTP server of a subgraph. */
/**
 * The router's request id beside a token it shares between an identity's
 * queries (which cannot carry each request's id). Believed only next to a
 * router-signed token without a signed id: a direct caller cannot set it, and
 * mutations, whose subgraphs audit the id, always carry it signed.
 */
export const ROUTER_REQUEST_ID_HEADER = 'x-evcs-request-id';

function routerClaims(signed: RequestClaims, header: string | string[] | undefined): RequestClaims {
  if (signed.requestId || typeof header !== 'string') return signed;
  return { ...signed, requestId: header };
}

export async function createSubgraphServer<C extends BaseRequestContext>(opts: SubgraphServerOptions<C>): Promise<SubgraphServer> {
  const apollo = new ApolloServer<C>({
    schema: opts.schema,
    formatError: formatError(opts.logger),
    includeStacktraceInErrorResponses: false,
    // Subgraphs are called by the router and by services, from the committed SDLs: nobody needs
    // to introspect them, and "Did you mean …" would hand a direct caller the schema piece by piece.
    introspection: false,
    hideSchemaDetailsFromClientErrors: true,
    // No Apollo Studio here; federated tracing would only cost time on every request. Cache
    // control is off too: nothing is cacheable by a CDN (every answer is someone's), and its
    // per-field hook made Apollo wrap every resolver (a few % of CPU on list queries).
    plugins: [ApolloServerPluginInlineTraceDisabled(), ApolloServerPluginCacheControlDisabled(), graphqlMetricsPlugin()],
  });
  await apollo.start();
  const readiness: ReadinessCheck[] = opts.ready ? [{ name: 'database', check: opts.ready }] : [];
  const publicFields = new Set(opts.publicRootFields ?? []);

  const unauthenticated = (message: string) => Object.assign(new Error(message), { status: 401, code: ErrorCodes.UNAUTHENTICATED });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    // Headers are the caller's to write: the request id and client address that reach logs
    // and audit records come from the router's signed token, or are the subgraph's own.
    let requestId: string = randomUUID();
    res.setHeader('x-request-id', requestId);
    try {
      const body = await readJsonBody(req);
      const token = bearer(req.headers.authorization);
      let identity = ANONYMOUS;
      let claims: RequestClaims = {};
      if (token) {
        const verified = await opts.verifier.verifyToken(token).catch(() => {
          throw unauthenticated('Invalid or expired token');
        });
        identity = verified.identity;
        if (verified.issuer === ROUTER_ISSUER) claims = routerClaims(verified.request, req.headers[ROUTER_REQUEST_ID_HEADER]);
      }
      if (isAnonymous(identity)) {
        const fields = rootFieldsOf((body as { query?: unknown } | undefined)?.query);
        if (!fields || fields.length === 0 || !fields.every((f) => publicFields.has(f))) throw unauthenticated('Authentication required');
      }
      if (claims.requestId) {
        requestId = requestIdFrom(claims.requestId);
        res.setHeader('x-request-id', requestId);
      }
      const log = opts.logger.child({ requestId, sub: identity.subject, tid: identity.tenantId });
      const clientIp = claims.clientIp && isIP(claims.clientIp) ? claims.clientIp : null;
      const ctx = opts.extendContext({ identity, requestId, log, clientIp, tenantId: () => requireTenant(identity, opts.name) });
      // Identity lives in AsyncLocalStorage for the whole execution, so code deep in
      // the call tree can reach it without threading it through every signature.
      await requestContext.run({ identity, requestId }, () => executeApollo(apollo, req, res, body, ctx));
    } catch (e) {
      if (!(e as { status?: number }).status) opts.logger.error({ err: e }, 'request failed');
      sendHttpError(res, e);
    }
  }

  /** A public route for this path, as methods and a handler; `label` is what a failure logs (never a path carrying a token). */
  function publicRoute(
    path: string | null,
  ): { methods: readonly string[]; label: string; run(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> | void } | null {
    if (!path) return null;
    const get = opts.publicGetRoutes?.[path];
    if (get) return { methods: ['GET', 'HEAD'], label: path, run: (_req, res) => get(res) };
    const post = path !== '/graphql' ? opts.publicPostRoutes?.[path] : undefined;
    if (post) return { methods: ['POST'], label: path, run: post };
    const prefixed = opts.publicPrefixRoutes?.find((r) => path.startsWith(r.prefix));
    if (prefixed)
      return { methods: prefixed.methods, label: prefixed.prefix, run: (req, res) => prefixed.handle(req, res, path.slice(prefixed.prefix.length).split('/')) };
    return null;
  }

  const server = http.createServer((req, res) => {
    const path = canonicalPath(req.url);
    if (path === '/health/live') return sendJson(res, 200, { status: 'ok', service: opts.name });
    if (path === '/health/ready') {
      void readinessReport(opts.name, readiness).then((r) => sendJson(res, r.status === 'ready' ? 200 : 503, r));
      return;
    }
    const route = publicRoute(path);
    if (route) {
      if (!route.methods.includes(req.method ?? '')) return sendJson(res, 405, { error: 'method not allowed' });
      Promise.resolve()
        .then(() => route.run(req, res))
        .catch((e) => {
          opts.logger.error({ err: e, path: route.label }, 'route failed');
          if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
        });
      return;
    }
    if (path !== '/graphql') return sendJson(res, 404, { error: 'not found' });
    void handle(req, res);
  });
  server.keepAliveTimeout = 65_000;

  return {
    server,
    apollo,
    addReadinessChecks: (...checks) => void readiness.push(...checks),
    stop: async () => {
      await new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections?.();
      await apollo.stop();
    },
  };
}

export { requestContext };
