import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { clientAddressResolver, inSpan, SpanKind, type Logger } from '@evcs/platform';
import { createRPCError, RPCError, RPCServer } from 'ocpp-rpc';
import WebSocket from 'ws';
import type RpcServerClient from 'ocpp-rpc/lib/server-client';
import type { BridgeConfig } from '../config';
import { ChargerSession } from '../connections/charger-session';
import type { Diagnostics } from '../connections/diagnostics';
import type { EventStamp } from '../connections/events';
import type { ConnectionRegistry, LiveConnection, OcppHandle } from '../connections/registry';
import type { BridgeStore, ChargerDirectory, ChargerEventPublisher, ChargerSecurityRecorder, IdTagAuthority } from '../ports';
import { authorizeCharger, OCPP16_PROTOCOL, OcppSessionData } from './auth';
import { executeOcppCommand } from './commands';
import { messagesReceived } from '../metrics';
import type { LocalListSync } from './local-list';
import { RemoteStartTags } from './remote-start-tags';
import { OcppCallContext, ocpp16Handlers } from './handlers';
import { ocpp16Validator } from './validator';
import type { VerifiedCredentials } from './verified-credentials';

export interface OcppServerDeps {
  directory: ChargerDirectory;
  publisher: ChargerEventPublisher;
  logger: Logger;
  config: BridgeConfig;
  store: BridgeStore;
  diagnostics: Diagnostics;
  /** The bridge's one registry of live connections (both protocols). */
  registry: ConnectionRegistry;
  /** Where refused logins are audited (assets). */
  security: ChargerSecurityRecorder;
  /** The bridge terminates TLS (security profile 2). */
  tls: boolean;
  /** Password checks (scrypt), remembered and bounded: shared with the asset listener, which forgets changed chargers. */
  credentials: VerifiedCredentials;
  idTags: IdTagAuthority;
  /** Keeps chargers' local authorization lists in step; without it the bridge leaves them alone. */
  localLists?: LocalListSync;
  now?: () => Date;
  newId?: () => string;
}

export interface OcppServer {
  /** Take over an HTTP upgrade whose path is /ocpp/<chargePointId>. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Refuse new chargers, close the connected ones, wait for their disconnect events. */
  close(): Promise<void>;
}

/** The frame log (operators read it) keeps no diagnostics upload token: GetDiagnostics' location loses it. */
export const redactUploadTokens = (text: string): string => text.replace(/(\/diagnostics\/[0-9a-f-]{36}\/)[0-9a-f]{64}/g, '$1<token>');

/** Largest OCPP frame accepted; ws's default (100 MiB) is far more than any OCPP message. */
const MAX_FRAME_BYTES = 1024 * 1024;

/**
 * This connection's ping period: the configured one ±10 %. A ping timer is re-armed from the
 * moment it fired, so every ping that fell due while the loop was busy (a GC, a connect storm
 * after a restart, a slow sweep) fires in the same tick and stays in step with the others from
 * then on: 19,500 connections' pings in one burst blocked the loop ~0.5 s (docs/benchmarks.md,
 * "Concurrent OCPP connections", session 12). Periods that differ pull such a burst apart again
 * within a few rounds.
 */
export function pingIntervalOf(configuredMs: number, random: () => number = Math.random): number {
  if (configuredMs <= 0) return configuredMs;
  return Math.round(configuredMs * (0.9 + 0.2 * random()));
}

/**
 * WebSocket pings from the bridge, every `periodMs`: a charger that has not answered the previous
 * ping by the next one is cut off (`onTimeout`, then the socket is terminated) — ocpp-rpc's rule.
 * Not ocpp-rpc's keep-alive: it made a promise, an EventEmitter listener and an AbortSignal
 * listener per ping, each kept until the next ping ~30 s later, so all of them reached the old
 * generation — two thirds of what a major GC collected at 19,500 connections (session 12). A
 * plain interval allocates nothing per ping. Returns the stop.
 */
export function keepAlive(ws: WebSocket, periodMs: number, onTimeout: () => void): () => void {
  if (periodMs <= 0) return () => undefined;
  let awaitingPong = false;
  const onPong = () => (awaitingPong = false);
  ws.on('pong', onPong);
  const timer = setInterval(() => {
    if (ws.readyState !== WebSocket.OPEN) return;
    if (awaitingPong) {
      clearInterval(timer);
      onTimeout();
      ws.terminate();
      return;
    }
    awaitingPong = true;
    ws.ping();
  }, periodMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    ws.off('pong', onPong);
  };
}

/** OCPP 1.6-J central-system endpoint on ocpp-rpc, strict mode (every inbound call checked against the official schemas). */
export function createOcppServer(deps: OcppServerDeps): OcppServer {
  const { logger, config, publisher, store, diagnostics } = deps;
  const { metrics, frames } = diagnostics;
  const now = deps.now ?? (() => new Date());
  const newId = deps.newId ?? randomUUID;
  const stamp = (): EventStamp => ({ id: newId(), receivedAt: now() });
  let accepting = true;
  // Behind the edge the socket's peer is nginx: the charger is the address the edge forwarded
  // (X-Forwarded-For), believed only from config.trustedProxies, as the router does for HTTP.
  const clientAddress = clientAddressResolver(config.trustedProxies ?? []);

  const rpc = new RPCServer({
    protocols: [OCPP16_PROTOCOL],
    strictMode: true,
    strictModeValidators: [ocpp16Validator],
    // WebSocket ping/pong is the bridge's own (keepAlive): a charger that stops answering pings is
    // cut off and reported disconnected. ocpp-rpc still reports each pong ('ping' event).
    pingIntervalMs: 0,
    wssOptions: { maxPayload: MAX_FRAME_BYTES },
  });

  rpc.auth((accept, reject, handshake, signal) => {
    if (!accepting) return reject(503, 'Shutting down');
    const remoteAddress = clientAddress(handshake.request);
    authorizeCharger(
      { directory: deps.directory, logger, metrics, security: deps.security, tls: deps.tls, credentials: deps.credentials },
      { ...handshake, remoteAddress },
    ).then(
      (decision) => {
        if (signal?.aborted) return;
        if (decision.accept) accept(decision.session, OCPP16_PROTOCOL);
        else reject(decision.status, decision.message);
      },
      (err: unknown) => {
        logger.error({ err, chargerId: handshake.identity }, 'charger authorisation failed');
        reject(500, 'Internal error');
      },
    );
  });

  rpc.on('error', (err: unknown) => logger.error({ err }, 'OCPP WebSocket server error'));
  rpc.on('upgradeAborted', ({ error, identity }: { error?: unknown; identity?: string }) =>
    logger.debug({ chargerId: identity, reason: error instanceof Error ? error.message : String(error) }, 'upgrade aborted'),
  );

  rpc.on('client', (client: RpcServerClient) => {
    const { registration, securityProfile, remoteAddress } = client.session as OcppSessionData;
    const chargerId = client.identity ?? client.handshake.identity;
    const log = logger.child({ chargerId, tenantId: registration.tenantId });
    const previous = deps.registry.get(registration.tenantId, chargerId);
    const session = new ChargerSession(
      { tenantId: registration.tenantId, chargerId, protocol: 'OCPP16', bridgeId: config.bridgeId },
      publisher,
      stamp,
      previous?.session.finished,
    );
    const remoteStartTags = new RemoteStartTags(() => now().getTime());
    let endReason: string | undefined;
    const stopPings = keepAlive(
      (client as unknown as { _ws: WebSocket })._ws,
      pingIntervalOf(config.pingIntervalMs),
      () => (endReason ??= 'no answer to a WebSocket ping'),
    );
    const handle: OcppHandle = {
      tenantId: registration.tenantId,
      chargerId,
      call: (action, payload) => client.call(action, payload, { callTimeoutMs: 30_000 }),
      drain: async (timeoutMs) => {
        const closed = client.close({ code: 1001, reason: 'Server shutting down', awaitPending: true });
        if ((await within(closed, timeoutMs)) === TIMED_OUT) terminate(client);
      },
    };
    const conn: LiveConnection<'OCPP16'> = {
      session,
      protocol: 'OCPP16',
      remoteAddress,
      handle,
      credentialHash: registration.credentialHash,
      close: (reason) => {
        endReason ??= reason;
        void client.close({ code: 1000, reason: reason.slice(0, 120), force: true });
      },
      execute: (command) => executeOcppCommand(client, remoteStartTags, command, { diagnosticsUploadSecret: config.diagnosticsUploadSecret }),
    };
    // OCPP: a charger has one connection; a new one that passed the same checks (its password) means the
    // old socket is dead or stale. Only now, after that, is the old one closed (by the registry, which logs both peers).
    if (deps.registry.register(conn)) metrics.count('OCPP16', 'connection_takeover');

    // Once the charger is up (booted Accepted, or beating after a reconnect), its local list is checked.
    let listChecked = false;
    const up = (action: string, result: unknown) => {
      if (listChecked || !deps.localLists) return;
      if (action === 'BootNotification' ? (result as { status?: string }).status === 'Accepted' : action === 'Heartbeat' || action === 'StatusNotification') {
        listChecked = true;
        // After this reply is on its way: a charger takes calls once it is accepted.
        setImmediate(() => deps.localLists?.attach(handle));
      }
    };
    const callCtx: OcppCallContext = {
      session,
      config,
      now,
      store,
      metrics,
      log,
      idTags: deps.idTags,
      stationId: registration.stationId,
      remoteStartTags,
      securityProfile,
    };
    for (const [action, handler] of Object.entries(ocpp16Handlers)) {
      client.handle(action, async ({ params, messageId }) => {
        session.touch(now());
        try {
          const result = await inSpan(`ocpp ${action}`, { 'rpc.system': 'ocpp1.6', 'rpc.method': action }, () => handler(callCtx, params), {
            kind: SpanKind.SERVER,
            root: true,
          });
          up(action, result);
          messagesReceived.inc({ protocol: 'OCPP16', action, result: 'ok' });
          return result;
        } catch (err) {
          if (err instanceof RPCError) {
            metrics.count('OCPP16', err.rpcErrorCode);
            messagesReceived.inc({ protocol: 'OCPP16', action, result: err.rpcErrorCode });
            throw err;
          }
          metrics.count('OCPP16', 'InternalError');
          messagesReceived.inc({ protocol: 'OCPP16', action, result: 'InternalError' });
          // Masked for the charger; the CALLERROR makes it send the message again.
          log.error({ err, action, messageId }, 'OCPP call failed');
          throw createRPCError('InternalError', 'Internal error', {});
        }
      });
    }
    client.handle(async ({ method }) => {
      session.touch(now());
      metrics.count('OCPP16', 'NotImplemented');
      // The action is the charger's word: not a label.
      messagesReceived.inc({ protocol: 'OCPP16', action: '(not implemented)', result: 'NotImplemented' });
      log.warn({ action: method }, 'OCPP action not implemented');
      throw createRPCError('NotImplemented', `Unable to handle '${String(method)}' calls`, {});
    });

    client.on('strictValidationFailure', ({ method, error, outbound }: { method: string; error: Error & { rpcErrorCode?: string }; outbound: boolean }) => {
      const code = ocpp16ErrorCode(error.rpcErrorCode ?? 'GenericError');
      metrics.count('OCPP16', outbound ? `outbound_${code}` : code);
      if (outbound) log.error({ action: method, reason: error.message }, 'OCPP message fails the schema (outbound or charger reply)');
      else log.warn({ action: method, code, reason: error.message }, 'charger sent an OCPP message that fails the schema');
    });
    client.on('badMessage', ({ error }: { error: Error & { rpcErrorCode?: string } }) => {
      metrics.count('OCPP16', error.rpcErrorCode ?? 'RpcFrameworkError');
      log.warn({ reason: error.message }, 'charger sent a malformed frame');
    });
    client.on('message', ({ message, outbound }: { message: string | Buffer; outbound: boolean }) =>
      frames.addOcpp(chargerId, now().getTime(), outbound ? 'OUT' : 'IN', redactUploadTokens(message.toString())),
    );
    client.on('ping', () => session.touch(now()));

    client.once('close', ({ code, reason }: { code?: number; reason?: string }) => {
      stopPings();
      deps.registry.unregister(conn);
      deps.localLists?.detach(handle);
      const why = endReason ?? `closed (code ${code ?? 'none'}${reason ? `: ${reason}` : ''})`;
      log.info({ code, reason: why }, 'charger disconnected');
      session.end(why).catch((err: unknown) => log.error({ err }, 'could not publish charger.disconnected'));
    });

    log.info({ remoteAddress, securityProfile: (client.session as OcppSessionData).securityProfile }, 'charger connected');
    session.begin(remoteAddress).catch((err: unknown) => {
      // Without "connected" on the bus the platform would not know the charger is online: make it reconnect.
      log.error({ err }, 'could not publish charger.connected; closing the connection');
      void client.close({ code: 1011, reason: 'Temporarily unavailable' });
    });
  });

  return {
    handleUpgrade(req, socket, head) {
      // ocpp-rpc types the socket as net.Socket; an upgrade socket is one.
      rpc.handleUpgrade(req, socket as Parameters<RPCServer['handleUpgrade']>[1], head).catch((err: unknown) => {
        logger.error({ err }, 'WebSocket upgrade failed');
        socket.destroy();
      });
    },

    async close() {
      accepting = false;
      const timeoutMs = config.shutdownTimeoutMs;
      const conns = deps.registry.pending('OCPP16');
      await Promise.all(conns.map((c) => c.handle.drain(timeoutMs)));
      const drained = await within(Promise.all(conns.map((c) => c.session.finished)), timeoutMs);
      if (drained === TIMED_OUT) logger.warn('shutdown: some charger.disconnected events were not published in time');
      await rpc.close({ code: 1001, force: true });
    },
  };
}

/**
 * The code the charger actually receives: ocpp-rpc answers 1.6 chargers with
 * the spellings of the OCPP 1.6J errata (FormationViolation,
 * OccurrenceConstraintViolation); counts use the same names.
 */
function ocpp16ErrorCode(code: string): string {
  if (code === 'FormatViolation') return 'FormationViolation';
  if (code === 'OccurenceConstraintViolation') return 'OccurrenceConstraintViolation';
  return code;
}

const TIMED_OUT = Symbol('timed out');

async function within<T>(p: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => (timer = setTimeout(() => resolve(TIMED_OUT), ms)));
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** ocpp-rpc's close() ignores `force` once a graceful close is under way, so cut the socket itself. */
function terminate(client: RpcServerClient): void {
  (client as unknown as { _ws?: { terminate(): void } })._ws?.terminate();
}
