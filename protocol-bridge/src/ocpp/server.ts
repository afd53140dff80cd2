import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '@evcs/platform';
import { createRPCError, RPCError, RPCServer } from 'ocpp-rpc';
import type RpcServerClient from 'ocpp-rpc/lib/server-client';
import type { BridgeConfig } from '../config';
import { ChargerSession } from '../connections/charger-session';
import type { EventStamp } from '../connections/events';
import { Connection, ConnectionRegistry } from '../connections/registry';
import type { ChargerDirectory } from '../directory';
import type { ChargerEventPublisher } from '../kafka/charger-event-publisher';
import { authorizeCharger, OCPP16_PROTOCOL, OcppSessionData } from './auth';
import { OcppCallContext, ocpp16Handlers } from './handlers';

export interface OcppServerDeps {
  directory: ChargerDirectory;
  publisher: ChargerEventPublisher;
  logger: Logger;
  config: BridgeConfig;
  now?: () => Date;
  newId?: () => string;
}

export interface OcppServer {
  /** Take over an HTTP upgrade whose path is /ocpp/<chargePointId>. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  readonly connectionCount: number;
  /** Refuse new chargers, close the connected ones, wait for their disconnect events. */
  close(): Promise<void>;
}

/** Largest OCPP frame accepted; ws's default (100 MiB) is far more than any OCPP message. */
const MAX_FRAME_BYTES = 1024 * 1024;

/** OCPP 1.6-J central-system endpoint on ocpp-rpc, strict mode (every inbound call checked against the official schemas). */
export function createOcppServer(deps: OcppServerDeps): OcppServer {
  const { logger, config, publisher } = deps;
  const now = deps.now ?? (() => new Date());
  const newId = deps.newId ?? randomUUID;
  const stamp = (): EventStamp => ({ id: newId(), receivedAt: now() });
  const registry = new ConnectionRegistry<RpcServerClient>();
  let accepting = true;

  const rpc = new RPCServer({
    protocols: [OCPP16_PROTOCOL],
    strictMode: true,
    wssOptions: { maxPayload: MAX_FRAME_BYTES },
  });

  rpc.auth((accept, reject, handshake, signal) => {
    if (!accepting) return reject(503, 'Shutting down');
    authorizeCharger(deps.directory, handshake, logger).then(
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
    const { registration } = client.session as OcppSessionData;
    const chargerId = client.identity ?? client.handshake.identity;
    const log = logger.child({ chargerId, tenantId: registration.tenantId });
    const previous = registry.get(chargerId);
    const session = new ChargerSession(
      { tenantId: registration.tenantId, chargerId, protocol: 'OCPP16', bridgeId: config.bridgeId },
      publisher,
      stamp,
      previous?.session.finished,
    );
    const conn: Connection<RpcServerClient> = { session, link: client };
    registry.add(conn);
    if (previous) {
      // OCPP: a charger has one connection; a new one means the old socket is dead or stale.
      log.info('charger reconnected; dropping its older connection');
      previous.endReason = 'replaced by a newer connection';
      void previous.link.close({ force: true });
    }

    const callCtx: OcppCallContext = { session, config, now };
    for (const [action, handler] of Object.entries(ocpp16Handlers)) {
      client.handle(action, async ({ params, messageId }) => {
        session.touch(now());
        try {
          return await handler(callCtx, params);
        } catch (err) {
          if (err instanceof RPCError) throw err;
          // Masked for the charger; the CALLERROR makes it send the message again.
          log.error({ err, action, messageId }, 'OCPP call failed');
          throw createRPCError('InternalError', 'Internal error', {});
        }
      });
    }
    client.handle(async ({ method }) => {
      log.warn({ action: method }, 'OCPP action not implemented');
      throw createRPCError('NotImplemented', `Unable to handle '${String(method)}' calls`, {});
    });

    client.on('strictValidationFailure', ({ method, error, outbound }: { method: string; error: Error; outbound: boolean }) => {
      if (outbound) log.error({ action: method, reason: error.message }, 'bridge produced an OCPP message that fails the schema');
      else log.warn({ action: method, reason: error.message }, 'charger sent an OCPP message that fails the schema');
    });
    client.on('badMessage', ({ error }: { error: Error }) => log.warn({ reason: error.message }, 'charger sent a malformed frame'));

    client.once('close', ({ code, reason }: { code?: number; reason?: string }) => {
      registry.remove(conn);
      const why = conn.endReason ?? `closed (code ${code ?? 'none'}${reason ? `: ${reason}` : ''})`;
      log.info({ code, reason: why }, 'charger disconnected');
      session.end(why).catch((err: unknown) => log.error({ err }, 'could not publish charger.disconnected'));
    });

    log.info({ remoteAddress: client.handshake.remoteAddress }, 'charger connected');
    session.begin(client.handshake.remoteAddress).catch((err: unknown) => {
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

    get connectionCount() {
      return registry.size;
    },

    async close() {
      accepting = false;
      const timeoutMs = config.shutdownTimeoutMs;
      const conns = registry.all();
      await Promise.all(
        conns.map(async (c) => {
          const closed = c.link.close({ code: 1001, reason: 'Server shutting down', awaitPending: true });
          if ((await within(closed, timeoutMs)) === TIMED_OUT) terminate(c.link);
        }),
      );
      const drained = await within(Promise.all(conns.map((c) => c.session.finished)), timeoutMs);
      if (drained === TIMED_OUT) logger.warn('shutdown: some charger.disconnected events were not published in time');
      await rpc.close({ code: 1001, force: true });
    },
  };
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
