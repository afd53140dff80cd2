import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { randomUUID } from 'node:crypto';
import {
  GraphQLError,
  GraphQLSchema,
  getOperationAST,
  NoSchemaIntrospectionCustomRule,
  specifiedRules,
  validate,
  type DocumentNode,
  type GraphQLFormattedError,
} from 'graphql';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import { formatError, type Identity, type Logger, type TokenVerifier } from '@evcs/platform';
import { authenticateConnection, type RouterContext } from '../auth';
import { parseWithinLimits, queryLimitRules, withoutSuggestions, type QueryLimits } from '../limits';
import type { RevocationSource } from '../revocations';

export interface SubscriptionServerOptions {
  schema: GraphQLSchema;
  verifier: TokenVerifier;
  /** Refuses revoked tokens at connection_init, and closes live connections whose token gets revoked. */
  revocations: RevocationSource;
  /** Resolves once `revocations` is complete (start-up); connections wait for it. */
  revocationsReady?: () => Promise<void>;
  logger: Logger;
  /** ws ping interval; also how fast dead connections are noticed. */
  keepAliveMs?: number;
  /** Largest message a client may send. */
  maxPayloadBytes?: number;
  /** The same operation bounds as over HTTP. */
  limits: QueryLimits;
}

export interface SubscriptionServer {
  /** Take over an HTTP upgrade request already routed to the GraphQL path. */
  handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Close every connection (1001 Going Away; clients reconnect elsewhere) and stop. */
  close(): Promise<void>;
  connectionCount(): number;
}

interface ConnectionExtra extends Record<PropertyKey, unknown> {
  identity: Identity;
  connectionId: string;
  expiryTimer: NodeJS.Timeout;
  live: LiveConnection;
}

interface LiveConnection {
  /** `iat` of the token the connection authenticated with */
  issuedAt: number;
  close(code: number, reason: string): void;
}

/** graphql-ws close code for "authenticate again": sent when the connection's token expires or is revoked. */
export const CLOSE_TOKEN_EXPIRED = 4401;
const MAX_TIMER_MS = 2_147_483_647;

/**
 * graphql-ws (graphql-transport-ws protocol) over `ws`, sharing the router's
 * HTTP server. The connection authenticates once, in `connection_init`, with
 * `connectionParams.authorization`; a connection without a valid token is
 * closed with 4403. Only subscription operations are served here — queries and
 * mutations go over HTTP, through the gateway.
 */
export function createSubscriptionServer(opts: SubscriptionServerOptions): SubscriptionServer {
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxPayloadBytes ?? 256 * 1024 });
  const format = formatError(opts.logger);
  const formatErrors = (errors: readonly GraphQLError[]): GraphQLFormattedError[] => errors.map((e) => format(e.toJSON(), e));
  const rules = [...specifiedRules, ...queryLimitRules(opts.limits), ...(opts.limits.introspection ? [] : [NoSchemaIntrospectionCustomRule])];
  const message = (e: GraphQLError) => (opts.limits.introspection ? e.message : withoutSuggestions(e.message));

  // Live connections by subject: a revocation closes those opened with a token it covers.
  const bySubject = new Map<string, Set<LiveConnection>>();
  const stopListening = opts.revocations.onRevoke((userId, issuedBefore) => {
    for (const c of bySubject.get(userId) ?? []) if (c.issuedAt < issuedBefore) c.close(CLOSE_TOKEN_EXPIRED, 'Token revoked');
  });

  const disposable = useServer<Record<string, unknown> | undefined, ConnectionExtra>(
    {
      onConnect: async (ctx) => {
        let auth;
        try {
          await opts.revocationsReady?.();
          auth = await authenticateConnection(opts.verifier, opts.revocations, ctx.connectionParams);
        } catch {
          return false;
        }
        const socket = ctx.extra.socket;
        // Gone while its token was being verified: onClose has run already, register nothing.
        if (socket.readyState !== socket.OPEN) return false;
        ctx.extra.identity = auth.identity;
        ctx.extra.connectionId = randomUUID();
        // A connection is only as good as the token it opened with: when that
        // expires or is revoked the client must reconnect with a fresh one.
        ctx.extra.expiryTimer = setTimeout(
          () => socket.close(CLOSE_TOKEN_EXPIRED, 'Token expired'),
          Math.min(Math.max(auth.expiresAt - Date.now(), 0), MAX_TIMER_MS),
        );
        ctx.extra.expiryTimer.unref();
        const live: LiveConnection = { issuedAt: auth.issuedAt, close: (code, reason) => socket.close(code, reason) };
        ctx.extra.live = live;
        const subject = auth.identity.subject;
        bySubject.set(subject, (bySubject.get(subject) ?? new Set()).add(live));
        return true;
      },
      onClose: (ctx) => {
        clearTimeout(ctx.extra.expiryTimer);
        const subject = ctx.extra.identity?.subject;
        const set = subject === undefined ? undefined : bySubject.get(subject);
        if (set && ctx.extra.live) {
          set.delete(ctx.extra.live);
          if (set.size === 0) bySubject.delete(subject!);
        }
      },
      onSubscribe: (ctx, id, payload) => {
        const identity = ctx.extra.identity;
        if (!identity) return [new GraphQLError('Not authenticated', { extensions: { code: 'UNAUTHENTICATED' } })];
        let document: DocumentNode;
        try {
          document = parseWithinLimits(payload.query, opts.limits);
        } catch (e) {
          return [e instanceof GraphQLError ? e : new GraphQLError('Invalid query', { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })];
        }
        const operation = getOperationAST(document, payload.operationName);
        if (!operation) return [new GraphQLError('Unable to identify the operation', { extensions: { code: 'BAD_REQUEST' } })];
        if (operation.operation !== 'subscription') {
          return [
            new GraphQLError('Only subscriptions are served over WebSocket; send queries and mutations as HTTP POST', { extensions: { code: 'BAD_REQUEST' } }),
          ];
        }
        const errors = validate(opts.schema, document, rules);
        if (errors.length > 0) {
          // a limit's refusal keeps its code (MAX_DEPTH_EXCEEDED…); graphql-js' own rules have none
          return errors.map(
            (e) => new GraphQLError(message(e), { nodes: e.nodes, extensions: { ...e.extensions, code: e.extensions.code ?? 'GRAPHQL_VALIDATION_FAILED' } }),
          );
        }
        const requestId = `${ctx.extra.connectionId}/${id}`;
        const contextValue: RouterContext = {
          identity,
          requestId,
          log: opts.logger.child({ requestId, sub: identity.subject, tid: identity.tenantId }),
        };
        return { schema: opts.schema, document, operationName: payload.operationName, variableValues: payload.variables, contextValue };
      },
      onNext: (_ctx, _id, _payload, _args, result) => (result.errors ? { ...result, errors: formatErrors(result.errors) } : undefined),
      onError: (_ctx, _id, _payload, errors) => formatErrors(errors),
    },
    wss,
    opts.keepAliveMs ?? 12_000,
  );

  return {
    handleUpgrade: (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req)),
    close: async () => {
      stopListening();
      await disposable.dispose();
    },
    connectionCount: () => wss.clients.size,
  };
}
