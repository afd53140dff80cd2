import http from 'node:http';
import https from 'node:https';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloGateway, GraphQLDataSourceProcessOptions, RemoteGraphQLDataSource } from '@apollo/gateway';
import type { GraphQLFormattedError, GraphQLSchema } from 'graphql';
import { AppError, DependencyGuard, ErrorCodes, formatError, graphqlMetricsPlugin, histogram, type Identity, type Logger } from '@evcs/platform';
import { InternalTokens, isIdentityHeader, REQUEST_ID_HEADER, RouterContext } from './auth';
import { queryLimitRules, type QueryLimits } from './limits';

// The gateway's fetcher types, taken from the gateway so @apollo/utils.fetcher needn't be a direct dependency.
type Fetcher = RemoteGraphQLDataSource['fetcher'];
type FetcherRequestInit = NonNullable<Parameters<Fetcher>[1]>;
type FetcherResponse = Awaited<ReturnType<Fetcher>>;

export interface GatewayOptions {
  supergraphSdl: string;
  /** Subgraph URL overrides by subgraph name; others use the URL in the supergraph. */
  subgraphUrls?: Record<string, string>;
  tokens: InternalTokens;
  logger: Logger;
  /** Per subgraph request, answer included. */
  subgraphTimeoutMs?: number;
  /** The circuit breaker of each subgraph (DependencyGuard). */
  subgraphBreaker?: { failuresToOpen?: number; halfOpenAfterMs?: number };
  /** Operation size bounds and introspection. */
  limits: QueryLimits;
  /** Share identical in-flight subgraph fetches of one identity's queries (default true). */
  dedupeInflight?: boolean;
}

export interface Gateway {
  apollo: ApolloServer<RouterContext>;
  /** The API schema of the supergraph (what clients see), once started. */
  apiSchema: GraphQLSchema;
  /** Each subgraph's URL, as the gateway calls it. */
  subgraphUrls: Record<string, string>;
  /** Run an operation through the gateway with the identity in `context`. */
  execute: GatewayExecutor;
  stop(): Promise<void>;
}

export type GatewayExecutor = (
  request: { query: string; operationName?: string; variables?: Record<string, unknown> },
  context: RouterContext,
) => Promise<{ data?: Record<string, unknown> | null; errors?: readonly GraphQLFormattedError[] }>;

const subgraphFetchDuration = histogram<'subgraph' | 'outcome'>({
  name: 'evcs_router_subgraph_fetch_duration_seconds',
  help: 'The router’s requests to subgraphs, by subgraph and outcome (ok; error: the answer carries GraphQL errors; failure: no usable answer)',
  labelNames: ['subgraph', 'outcome'],
});

/**
 * The header by which the data source tells the fetcher that a subgraph request
 * may share an identical one in flight, and whose: set only for queries, removed
 * before the request leaves the router.
 */
export const DEDUPE_HEADER = 'x-evcs-router-dedupe';

/**
 * Everything a subgraph learns of the caller from the token, as one string: two
 * requests with equal identities get equal answers. Kept per identity object
 * (the verifier hands out one object per verified client token).
 */
const identityKeys = new WeakMap<Identity, string>();
function identityKey(identity: Identity): string {
  let key = identityKeys.get(identity);
  if (!key) identityKeys.set(identity, (key = JSON.stringify(identity)));
  return key;
}

/**
 * Subgraph requests carry the caller's verified identity only as a short-lived
 * internal token signed by the router; identity headers are stripped whatever
 * their origin.
 */
export class IdentityForwardingDataSource extends RemoteGraphQLDataSource<RouterContext> {
  constructor(
    private readonly name: string,
    url: string,
    fetcher: Fetcher,
    private readonly tokens: InternalTokens,
    private readonly logger: Logger,
    private readonly dedupe = true,
  ) {
    super({ url, fetcher });
  }

  /**
   * Transport-level failures of a subgraph request. Unreachable or overloaded
   * (5xx, 429) is a dependency failure a retry may fix, and the client is told
   * so with a stable code. Anything else (a 401 from a subgraph means it
   * rejected the router's own token) is the platform's fault, not the
   * client's: logged in full and masked as an internal error — never relayed
   * with the subgraph's URL and body as the gateway would by default.
   */
  override didEncounterError(error: Error, _request: unknown, response?: FetcherResponse): void {
    const status = response?.status;
    this.logger.error({ err: error, subgraph: this.name, status }, 'subgraph request failed');
    if (status === undefined || status >= 500 || status === 429) {
      throw new AppError(ErrorCodes.DEPENDENCY_UNAVAILABLE, `The ${this.name} service is unavailable`, { retriable: true, cause: error });
    }
    throw new Error(`subgraph ${this.name} answered HTTP ${status}`, { cause: error });
  }

  /** Every fetch to the subgraph, timed. */
  override async process(options: GraphQLDataSourceProcessOptions<RouterContext>): ReturnType<RemoteGraphQLDataSource<RouterContext>['process']> {
    const end = subgraphFetchDuration.startTimer({ subgraph: this.name });
    try {
      const response = await super.process(options);
      end({ outcome: response.errors?.length ? 'error' : 'ok' });
      return response;
    } catch (e) {
      end({ outcome: 'failure' });
      throw e;
    }
  }

  override async willSendRequest(options: GraphQLDataSourceProcessOptions<RouterContext>): Promise<void> {
    const headers = options.request.http?.headers;
    if (!headers) return;
    const names = Array.from(headers, ([name]) => name);
    for (const name of names) if (isIdentityHeader(name)) headers.delete(name);
    const ctx = options.context as RouterContext | undefined;
    if (!ctx?.requestId) return;
    const query = 'incomingRequestContext' in options && options.incomingRequestContext.operation?.operation === 'query';
    const identity = ctx.identity;
    if (query && identity) {
      // A read: the identity's shared token (the client's address signed in it), the request id beside it.
      headers.set('authorization', `Bearer ${await this.tokens.forQuery({ ...ctx, identity })}`);
      headers.set(REQUEST_ID_HEADER, ctx.requestId);
      // It may share the answer of the same fetch in flight for the same identity (same client token)
      // from the same address; a mutation's never does.
      if (this.dedupe) headers.set(DEDUPE_HEADER, `${identityKey(identity)} ${ctx.clientIp ?? ''}`);
    } else {
      // Mutations and public operations: the request id and the client's address signed, per request.
      headers.set('authorization', `Bearer ${await this.tokens.forRequest(ctx)}`);
    }
  }
}

/**
 * Build the gateway (static supergraph) and the Apollo Server around it, and
 * start them. Nothing listens: HTTP is served by the router's own server.
 */
export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const agents = { http: new http.Agent({ keepAlive: true, maxSockets: 256 }), https: new https.Agent({ keepAlive: true, maxSockets: 256 }) };
  const timeoutMs = opts.subgraphTimeoutMs ?? 30_000;
  const fetcher = keepAliveFetcher(agents, timeoutMs);
  const overrides = { ...(opts.subgraphUrls ?? {}) };
  const unusedOverrides = new Set(Object.keys(overrides));
  const subgraphUrls: Record<string, string> = {};

  // @apollo/gateway otherwise starts an OpenTelemetry metrics exporter that sends usage data to
  // Apollo over HTTPS from every instance (APOLLO_TELEMETRY_DISABLED is its documented switch, read
  // once here, at construction). A platform's traffic is not reported to a vendor unless the operator
  // asks for it by setting the variable to false.
  process.env.APOLLO_TELEMETRY_DISABLED ??= 'true';
  const gateway = new ApolloGateway({
    supergraphSdl: opts.supergraphSdl,
    logger: opts.logger,
    buildService: ({ name, url }) => {
      unusedOverrides.delete(name);
      const target = overrides[name] ?? url;
      if (!target) throw new Error(`subgraph ${name} has no URL (none in the supergraph and no override)`);
      opts.logger.info({ subgraph: name, url: target }, 'subgraph');
      subgraphUrls[name] = target;
      const guard = new DependencyGuard({ name: `the ${name} service`, timeoutMs, ...opts.subgraphBreaker });
      return new IdentityForwardingDataSource(
        name,
        target,
        dedupingFetcher(guardedFetcher(fetcher, guard)),
        opts.tokens,
        opts.logger,
        opts.dedupeInflight ?? true,
      );
    },
  });
  let apiSchema: GraphQLSchema | undefined;
  const unsubscribe = gateway.onSchemaLoadOrUpdate(({ apiSchema: s }) => (apiSchema = s));

  const apollo = new ApolloServer<RouterContext>({
    gateway,
    logger: opts.logger,
    formatError: formatError(opts.logger),
    includeStacktraceInErrorResponses: false,
    introspection: opts.limits.introspection,
    // "Did you mean …" would leak the schema field by field with introspection off.
    hideSchemaDetailsFromClientErrors: !opts.limits.introspection,
    validationRules: queryLimitRules(opts.limits),
    // Answers are per identity; no cache-control hints are computed or sent.
    plugins: [ApolloServerPluginCacheControlDisabled(), graphqlMetricsPlugin()],
  });
  await apollo.start();
  unsubscribe();
  if (unusedOverrides.size > 0) opts.logger.warn({ names: [...unusedOverrides] }, 'subgraph URL overrides name no subgraph of the supergraph');
  if (!apiSchema) {
    await apollo.stop();
    throw new Error('gateway started without reporting an API schema');
  }

  const execute: GatewayExecutor = async (request, context) => {
    const response = await apollo.executeOperation(request, { contextValue: context });
    if (response.body.kind !== 'single') throw new Error('incremental delivery is not supported for forwarded operations');
    const { data, errors } = response.body.singleResult;
    return { data, errors };
  };

  return {
    apollo,
    apiSchema,
    subgraphUrls,
    execute,
    stop: async () => {
      await apollo.stop();
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

/**
 * Identical subgraph requests in flight at the same time share one: same
 * identity and client address (DEDUPE_HEADER, set by the data source for
 * queries only), same URL, same body. Under load many clients of one identity
 * (a dashboard's widgets, an operator's open tabs, a polling app) ask the same
 * thing at once; the subgraph answers once and each caller gets its own copy
 * of the buffered answer. The shared request carries the first caller's
 * internal token (its request id). Requests without the header pass through.
 */
export function dedupingFetcher(fetcher: Fetcher): Fetcher {
  const inflight = new Map<string, Promise<FetcherResponse>>();
  return async (url, init = {}) => {
    const headers = init.headers as Record<string, string> | undefined;
    const who = headers?.[DEDUPE_HEADER];
    if (!headers || who === undefined) return fetcher(url, init);
    const { [DEDUPE_HEADER]: _, ...rest } = headers;
    const forwarded = { ...init, headers: rest };
    if (typeof init.body !== 'string') return fetcher(url, forwarded);
    const key = `${who}\n${init.method ?? 'GET'} ${url}\n${init.body}`;
    let shared = inflight.get(key);
    if (!shared) {
      shared = fetcher(url, forwarded).finally(() => inflight.delete(key));
      inflight.set(key, shared);
    }
    // Nobody reads the shared answer itself: every caller, the first too, reads a copy.
    return (await shared).clone();
  };
}

/**
 * Subgraph calls through the subgraph's DependencyGuard: a deadline for the
 * whole answer, and an open circuit after consecutive failures (unreachable,
 * timed out, 5xx/429), which fails the next calls at once instead of queueing
 * them behind a subgraph that is down or stalled.
 */
export function guardedFetcher(fetcher: Fetcher, guard: DependencyGuard): Fetcher {
  return (url, init = {}) =>
    guard.run(async (signal) => {
      const res = await fetcher(url, { ...init, signal }).catch((e: unknown) => {
        throw new AppError(ErrorCodes.DEPENDENCY_UNAVAILABLE, 'subgraph unreachable', { retriable: true, cause: e });
      });
      if (res.status >= 500 || res.status === 429)
        throw new AppError(ErrorCodes.DEPENDENCY_UNAVAILABLE, `subgraph answered HTTP ${res.status}`, { retriable: true });
      return res;
    });
}

/**
 * A Fetcher on node:http(s) with the given keep-alive agents, so subgraph
 * connections are reused across requests and the pool is ours to size and
 * close. Bodies are small JSON documents and are buffered.
 */
export function keepAliveFetcher(agents: { http: http.Agent; https: https.Agent }, timeoutMs: number): Fetcher {
  return (url: string, init: FetcherRequestInit = {}) =>
    new Promise<FetcherResponse>((resolve, reject) => {
      const target = new URL(url);
      const secure = target.protocol === 'https:';
      const req = (secure ? https : http).request(
        target,
        { method: init.method ?? 'GET', headers: init.headers, agent: secure ? agents.https : agents.http },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            signal?.removeEventListener('abort', onAbort);
            const headers = new Headers();
            for (const [k, v] of Object.entries(res.headers)) {
              if (v === undefined) continue;
              for (const item of Array.isArray(v) ? v : [v]) headers.append(k, item);
            }
            resolve(new BufferedResponse(url, res.statusCode ?? 502, res.statusMessage ?? '', headers, Buffer.concat(chunks)));
          });
        },
      );
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`subgraph request timed out after ${timeoutMs} ms`)));
      const signal = init.signal as AbortSignal | undefined;
      const onAbort = () => req.destroy(new Error('subgraph request aborted'));
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', reject);
      req.end(init.body);
    });
}

/**
 * A fetch Response over a body that is already in memory. The WHATWG Response
 * wraps a body in a web stream and reads it back through it — a few % of the
 * router's CPU per subgraph answer, for bodies that were complete to begin with.
 */
export class BufferedResponse implements FetcherResponse {
  readonly redirected = false;
  private used = false;

  constructor(
    readonly url: string,
    readonly status: number,
    readonly statusText: string,
    readonly headers: Headers,
    private readonly body: Buffer,
  ) {}

  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  get bodyUsed(): boolean {
    return this.used;
  }

  private consume(): Buffer {
    if (this.used) throw new TypeError('Body has already been used');
    this.used = true;
    return this.body;
  }

  async text(): Promise<string> {
    return this.consume().toString('utf8');
  }

  async json(): Promise<unknown> {
    return JSON.parse(this.consume().toString('utf8'));
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const b = this.consume();
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  }

  clone(): BufferedResponse {
    if (this.used) throw new TypeError('Body has already been used');
    return new BufferedResponse(this.url, this.status, this.statusText, new Headers(this.headers), this.body);
  }
}
