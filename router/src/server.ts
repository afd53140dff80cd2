import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { ACCESS_EVENTS_TOPIC, CHARGER_EVENTS_TOPIC } from '@evcs/events';
import {
  AppError,
  bearer,
  canonicalPath,
  clientAddressResolver,
  ErrorCodes,
  executeApollo,
  kafkaNames,
  readinessReport,
  readJsonBody,
  requestIdFrom,
  sendHttpError,
  sendJson,
  type EventBus,
  type KafkaNames,
  type Logger,
  type ReadinessCheck,
  type Subscription,
  type TokenIssuer,
  type TokenVerifier,
} from '@evcs/platform';
import { authenticateHttp, InternalTokens, PUBLIC_ROOT_FIELDS, type RouterContext } from './auth';
import { RouterErrorCodes } from './error-codes';
import { startGateway } from './gateway';
import { DEFAULT_QUERY_LIMITS, documentWithinLimits, type QueryLimits } from './limits';
import { RateLimitedError, type RouterRateLimits } from './rate-limits';
import { RevocationList, startRevocationFeed } from './revocations';
import { commandUpdateResolvers, startCommandUpdateFeed, type CommandUpdate } from './subscriptions/command-updates';
import { connectorStatusResolvers, toConnectorStatusChange, type ConnectorStatusChange } from './subscriptions/connector-status';
import { startChargerEventFeed } from './subscriptions/feed';
import { orderProgressResolvers, toMeterReadingNotice, type MeterReadingNotice } from './subscriptions/order-progress';
import { TenantEventHub } from './subscriptions/pubsub';
import { buildSubscriptionSchema } from './subscriptions/schema';
import { SUBSCRIPTIONS_SDL } from './subscriptions/subscriptions-sdl';
import { createSubscriptionServer } from './subscriptions/ws-server';

export interface RouterDeps {
  supergraphSdl: string;
  /** Subgraph URL overrides by subgraph name (e.g. `{ assets: 'http://127.0.0.1:1234/graphql' }`). */
  subgraphUrls?: Record<string, string>;
  /** Verifies client access tokens (issuer evcs-tenants, audience evcs-api). */
  clientVerifier: TokenVerifier;
  /** Signs the internal tokens sent to subgraphs (issuer evcs-router). */
  internalIssuer: TokenIssuer;
  bus: EventBus;
  /** Unique per running instance; names this instance's consumer group. */
  instanceId: string;
  /** The deployment's Kafka namespace: the consumer groups are named within it (default: none). */
  names?: KafkaNames;
  logger: Logger;
  /** Charger events topic. Default: CHARGER_EVENTS_TOPIC. */
  chargerEventsTopic?: string;
  /** Where assets publishes its commands' lifecycle (chargerCommandUpdated); default the base name. */
  commandUpdatesTopic?: string;
  /** Access events (revocations) topic. Default: ACCESS_EVENTS_TOPIC. */
  accessEventsTopic?: string;
  /** How long a request with a token waits for the revocation list to be complete at start-up. */
  revocationsStartupWaitMs?: number;
  publicRootFields?: readonly string[];
  /** Per-subscriber event buffer before drop-oldest. */
  subscriberQueueSize?: number;
  /** How long close() lets in-flight HTTP requests finish. */
  drainTimeoutMs?: number;
  /** The edge's addresses or CIDRs, whose X-Forwarded-For is believed (default: none; the socket's peer is the client). */
  trustedProxies?: readonly string[];
  /** Further readiness checks (main adds Kafka's: consumers joined, lag). */
  readiness?: ReadinessCheck[];
  /** Operation size bounds and introspection, HTTP and graphql-ws alike. Default: DEFAULT_QUERY_LIMITS. */
  queryLimits?: QueryLimits;
  /** Sign-in, refresh and per-identity limits (main: counted in Postgres, across instances). None: unlimited. */
  rateLimits?: RouterRateLimits;
  /** Share identical in-flight query fetches of one identity (default true). */
  dedupeInflight?: boolean;
}

export interface Router {
  /** Not listening; the caller listens (port 0 in tests). */
  httpServer: http.Server;
  /**
   * Resolves once the event feed's consumer has joined its group and the
   * revocation list holds everything the access-events topic did at start.
   */
  ready: Promise<void>;
  /** Revocations this instance knows of. */
  revocations: RevocationList;
  /** Live subscriptions on this instance (all fields, all tenants). */
  subscriberCount(): number;
  close(): Promise<void>;
}

const GRAPHQL_PATH = '/graphql';

/**
 * The router: federated queries and mutations over HTTP POST /graphql (Apollo
 * Gateway), router-owned subscriptions over graphql-ws on the same path, and
 * the Kafka feed behind them. Builds and starts everything except listening.
 */
export async function createRouter(deps: RouterDeps): Promise<Router> {
  const logger = deps.logger;
  const group = (deps.names ?? kafkaNames('')).group;
  const publicRootFields = deps.publicRootFields ?? PUBLIC_ROOT_FIELDS;
  const tokens = new InternalTokens(deps.internalIssuer);
  const clientAddress = clientAddressResolver(deps.trustedProxies ?? []);
  const limits = deps.queryLimits ?? DEFAULT_QUERY_LIMITS;
  const gateway = await startGateway({
    supergraphSdl: deps.supergraphSdl,
    subgraphUrls: deps.subgraphUrls,
    tokens,
    logger,
    limits,
    dedupeInflight: deps.dedupeInflight,
  });

  let feed: Subscription | undefined;
  let commandFeed: Subscription | undefined;
  let revocationFeed: Subscription | undefined;
  try {
    const revocations = new RevocationList();
    // Unique per start, not only per instance: the group commits nothing and is read from the
    // beginning, and two processes sharing an INSTANCE_ID must not split its partitions.
    const revocationGroup = group(`router-${deps.instanceId}-access-${randomBytes(4).toString('hex')}`);
    revocationFeed = await startRevocationFeed({
      bus: deps.bus,
      topic: deps.accessEventsTopic ?? ACCESS_EVENTS_TOPIC,
      groupId: revocationGroup,
      list: revocations,
      logger,
    });
    const revocationSubscription = revocationFeed;
    let revocationsComplete = false;
    const revocationsCaughtUp = (revocationFeed.caughtUp ?? revocationFeed.ready).then(() => {
      revocationsComplete = true;
      logger.info({ groupId: revocationGroup, users: revocations.size }, 'revocation list complete');
    });
    /**
     * Until the list is complete a revoked token can't be told from a good one: requests
     * carrying a token wait for it (briefly), then fail as retriable.
     */
    const revocationsReady = async (): Promise<void> => {
      if (revocationsComplete) return;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(Object.assign(new AppError(ErrorCodes.DEPENDENCY_UNAVAILABLE, 'The router is starting; try again', { retriable: true }), { status: 503 })),
          deps.revocationsStartupWaitMs ?? 10_000,
        );
      });
      try {
        await Promise.race([revocationsCaughtUp, timeout]);
      } finally {
        clearTimeout(timer);
      }
    };

    if (!gateway.apiSchema.getQueryType()?.getFields().chargerByCode) {
      logger.warn('supergraph has no Query.chargerByCode; ConnectorStatusChange.charger will resolve to errors');
    }
    const statusHub = new TenantEventHub<ConnectorStatusChange>({ name: 'connectorStatusChanged', logger, maxQueue: deps.subscriberQueueSize });
    const commandHub = new TenantEventHub<CommandUpdate>({ name: 'chargerCommandUpdated', logger, maxQueue: deps.subscriberQueueSize });
    const progressHub = new TenantEventHub<MeterReadingNotice>({ name: 'orderProgress', logger, maxQueue: deps.subscriberQueueSize });
    const statusResolvers = connectorStatusResolvers({ hub: statusHub, execute: gateway.execute });
    const commandResolvers = commandUpdateResolvers({ hub: commandHub, execute: gateway.execute });
    const progressResolvers = orderProgressResolvers({ hub: progressHub, execute: gateway.execute });
    const schema = buildSubscriptionSchema(
      gateway.apiSchema,
      SUBSCRIPTIONS_SDL,
      {
        ...statusResolvers,
        ...commandResolvers,
        Subscription: { ...statusResolvers.Subscription, ...commandResolvers.Subscription, ...progressResolvers.Subscription },
      },
      (dropped) => logger.warn({ dropped }, 'the supergraph lacks the payload types of these subscriptions; they are not served'),
    );
    const subscriptions = createSubscriptionServer({ schema, verifier: deps.clientVerifier, revocations, revocationsReady, logger, limits });

    feed = await startChargerEventFeed({
      bus: deps.bus,
      topic: deps.chargerEventsTopic ?? CHARGER_EVENTS_TOPIC,
      groupId: group(`router-${deps.instanceId}`),
      logger,
      isIdle: () => statusHub.size + progressHub.size === 0,
      handlers: {
        'connector.status_changed': (e) => statusHub.publish(e.tenantId, toConnectorStatusChange(e)),
        'session.meter_values': (e) => progressHub.publish(e.tenantId, toMeterReadingNotice(e)),
      },
    });
    const feedSubscription = feed;
    commandFeed = await startCommandUpdateFeed({
      bus: deps.bus,
      topic: deps.commandUpdatesTopic,
      groupId: group(`router-${deps.instanceId}-commands`),
      logger,
      hub: commandHub,
    });
    const commandFeedSubscription = commandFeed;

    let closing = false;
    let feedReady = false;
    const ready = Promise.all([
      feedSubscription.ready.then(() => logger.info({ groupId: group(`router-${deps.instanceId}`) }, 'event feed joined')),
      commandFeedSubscription.ready,
      revocationsCaughtUp,
    ]).then(() => {
      feedReady = true;
    });

    const handleGraphql = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
      // Echoed on every answer, refusals included, so a client can quote it to support.
      const requestId = requestIdFrom(req.headers['x-request-id']);
      res.setHeader('x-request-id', requestId);
      try {
        if (req.method !== 'POST') {
          res.setHeader('allow', 'POST');
          return sendJson(res, 405, {
            errors: [
              {
                message: 'Send queries and mutations as POST; subscriptions over a graphql-transport-ws WebSocket',
                extensions: { code: RouterErrorCodes.METHOD_NOT_ALLOWED },
              },
            ],
          });
        }
        const body = await readJsonBody(req);
        const document = documentWithinLimits(body, limits);
        if (bearer(req.headers.authorization)) await revocationsReady();
        const identity = await authenticateHttp(deps.clientVerifier, revocations, req.headers.authorization, body, publicRootFields);
        const { operationName, variables } = (body ?? {}) as { operationName?: unknown; variables?: unknown };
        // Behind the edge, the client's address is what the edge forwarded: per-address limits count clients, not nginx.
        const clientIp = clientAddress(req);
        await deps.rateLimits?.check({ clientIp, identity, document, operationName, variables });
        const context: RouterContext = {
          identity,
          requestId,
          clientIp,
          log: logger.child({ requestId, sub: identity?.subject, tid: identity?.tenantId }),
        };
        await executeApollo(gateway.apollo, req, res, body, context);
      } catch (e) {
        const status = (e as { status?: number }).status;
        if (status === 401) res.setHeader('www-authenticate', 'Bearer');
        if (e instanceof RateLimitedError) res.setHeader('retry-after', String(e.retryAfterSeconds));
        if (!status) logger.error({ err: e }, 'request failed');
        sendHttpError(res, e);
      }
    };

    const readiness: ReadinessCheck[] = [
      {
        name: 'started',
        check: () => {
          if (closing) throw new Error('draining');
          if (!feedReady) throw new Error('event feed not joined or revocation list incomplete');
        },
      },
      { name: 'subgraphs', check: () => subgraphsReachable(gateway.subgraphUrls) },
      ...(deps.readiness ?? []),
    ];

    const httpServer = http.createServer((req, res) => {
      const path = canonicalPath(req.url);
      if (path === '/health/live') return sendJson(res, 200, { status: 'ok', service: 'router' });
      if (path === '/health/ready') {
        void readinessReport('router', readiness).then((r) => sendJson(res, r.status === 'ready' ? 200 : 503, r));
        return;
      }
      if (path !== GRAPHQL_PATH) return sendJson(res, 404, { error: 'not found' });
      void handleGraphql(req, res);
    });
    httpServer.keepAliveTimeout = 65_000;
    httpServer.on('upgrade', (req: http.IncomingMessage, socket, head: Buffer) => {
      if (closing || canonicalPath(req.url) !== GRAPHQL_PATH) {
        socket.end(`HTTP/1.1 ${closing ? '503 Service Unavailable' : '404 Not Found'}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
        return;
      }
      subscriptions.handleUpgrade(req, socket, head);
    });

    const close = async (): Promise<void> => {
      if (closing) return;
      closing = true;
      const httpClosed = stopHttp(httpServer, deps.drainTimeoutMs ?? 10_000);
      // Subscribers are told to go (1001) and reconnect to another instance.
      await subscriptions.close();
      statusHub.close();
      commandHub.close();
      progressHub.close();
      await feedSubscription.stop().catch((e: unknown) => logger.warn({ err: e }, 'stopping the event feed failed'));
      await commandFeedSubscription.stop().catch((e: unknown) => logger.warn({ err: e }, 'stopping the command update feed failed'));
      await revocationSubscription.stop().catch((e: unknown) => logger.warn({ err: e }, 'stopping the revocation feed failed'));
      await httpClosed;
      await gateway.stop();
    };

    return { httpServer, ready, revocations, subscriberCount: () => statusHub.size + commandHub.size + progressHub.size, close };
  } catch (e) {
    for (const f of [feed, commandFeed]) await f?.stop().catch(() => undefined);
    await revocationFeed?.stop().catch(() => undefined);
    await gateway.stop();
    throw e;
  }
}

/** Every subgraph answers its liveness probe (its /health/live beside /graphql); the error names those that don't. */
async function subgraphsReachable(urls: Record<string, string>, timeoutMs = 1_000): Promise<void> {
  const down = (
    await Promise.all(
      Object.entries(urls).map(async ([name, url]) => {
        const live = new URL(url.replace(/\/graphql$/, '') + '/health/live');
        try {
          const res = await fetch(live, { signal: AbortSignal.timeout(timeoutMs) });
          return res.ok ? null : `${name} (HTTP ${res.status})`;
        } catch {
          return `${name} (unreachable)`;
        }
      }),
    )
  ).filter((d) => d !== null);
  if (down.length) throw new Error(`not reachable: ${down.join(', ')}`);
}

/** Stop accepting, let in-flight requests finish for up to `graceMs`, then cut what is left. */
function stopHttp(server: http.Server, graceMs: number): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => server.closeAllConnections(), graceMs);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}
