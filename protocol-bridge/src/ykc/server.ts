import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { trustedProxyPredicate, type Logger } from '@evcs/platform';
import type { BridgeConfig } from '../config';
import type { Diagnostics } from '../connections/diagnostics';
import type { EventStamp } from '../connections/events';
import type { ConnectionRegistry } from '../connections/registry';
import { ACCEPT_EVERY_TAG } from '../id-tags';
import type { BillingModelSource, BridgeStore, ChargerDirectory, ChargerEventPublisher, ChargerSecurityRecorder, IdTagAuthority } from '../ports';
import { YkcConnection } from './connection';
import { EMPTY_KEYRING, type DesKeyring } from './des';
import { dispatchYkcFrame, type YkcServices } from './handlers';
import { mayBeProxyHeader, readProxyHeader } from './proxy-protocol';

export const NO_BILLING_MODELS: BillingModelSource = { modelFor: async () => null };

/** How long a pile has to confirm a pushed billing model (0x57) before it counts as failed. */
const BILLING_MODEL_PUSH_TIMEOUT_MS = 15_000;

/** How long a trusted proxy has to send its PROXY header (nginx sends it as it connects). */
const PROXY_HEADER_TIMEOUT_MS = 5_000;

/** A connection's first bytes, past any PROXY header, and the pile's address. */
interface Opened {
  remoteAddress?: string;
  rest: Buffer;
}

/**
 * Settles who is at the other end before any YKC byte is read. From a trusted proxy (the edge)
 * the connection must open with a PROXY header (v1 or v2), whose source is the pile; from anyone
 * else a PROXY header is refused — a pile's first byte is a frame's 0x68, so one that starts like
 * a header is someone claiming an address it may not — and the socket's peer is the pile.
 * Calls `open` once settled, or ends the socket and calls `refuse` with the reason.
 */
function settlePeer(socket: net.Socket, trusted: boolean, open: (o: Opened) => void, refuse: (reason: string) => void): void {
  let buffered = Buffer.alloc(0);
  const fail = (reason: string) => {
    cleanup();
    refuse(reason);
    socket.destroy();
  };
  const timer = trusted ? setTimeout(() => fail('proxy_header_timeout'), PROXY_HEADER_TIMEOUT_MS) : undefined;
  const cleanup = () => {
    clearTimeout(timer);
    socket.off('data', onData);
  };
  const onData = (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    if (!trusted) {
      // one byte decides: 0x68 (a frame) or "P"/CR (a header's start); anything else is YKC's resync to handle
      if (mayBeProxyHeader(buffered.subarray(0, 1))) return fail('proxy_header_untrusted');
      cleanup();
      return open({ remoteAddress: socket.remoteAddress, rest: buffered });
    }
    const r = readProxyHeader(buffered);
    if (r.kind === 'incomplete') return;
    if (r.kind === 'invalid') return fail('proxy_header_invalid');
    cleanup();
    // LOCAL (the proxy's own check) or UNKNOWN: no pile address given, the proxy's stands
    open({ remoteAddress: r.source?.address ?? socket.remoteAddress, rest: buffered.subarray(r.length) });
  };
  socket.on('data', onData);
  socket.on('error', () => undefined);
}

export interface YkcServerDeps {
  directory: ChargerDirectory;
  publisher: ChargerEventPublisher;
  store: BridgeStore;
  diagnostics: Diagnostics;
  registry: ConnectionRegistry;
  logger: Logger;
  config: BridgeConfig;
  /** Learned identities and refused logins go to assets. */
  security: ChargerSecurityRecorder;
  billingModels?: BillingModelSource;
  /** 3DES keys of piles registered with a desKeyRef (ENC = 0x01). Default: none. */
  desKeys?: DesKeyring;
  /** Card starts (0x31) are decided by the tenant's id-token authority. */
  idTags?: IdTagAuthority;
  now?: () => Date;
  newId?: () => string;
}

export interface YkcServer {
  /** Not listening: the caller listens (port 0 in tests). */
  tcpServer: net.Server;
  /**
   * A tenant's plans or bindings changed: every pile of the tenant connected here whose
   * model is no longer the platform's gets the new one (0x58), since a YKC pile bills
   * locally with the model it holds. Piles already current are left alone.
   */
  pushBillingModels(tenantId: string): Promise<{ pushed: number; current: number; failed: number }>;
  close(): Promise<void>;
}

/**
 * 云快充 v1.5/1.6 over TCP. One connection = one pile, identified by its login
 * (0x01); nothing else is served before it. Frames of a connection are
 * handled strictly in order (connection.ts), one handler per message type
 * (handlers/), and every reply that acknowledges data (login, transaction
 * record) is sent only after its events are on Kafka — a pile that gets no
 * reply resends, so a crash loses nothing. Logged-in piles are in the
 * bridge's connection registry; this server keeps its sockets only to end
 * them (logged in or not) at shutdown.
 */
export function createYkcServer(deps: YkcServerDeps): YkcServer {
  const { logger, registry } = deps;
  const now = deps.now ?? (() => new Date());
  const newId = deps.newId ?? randomUUID;
  const billingModels = deps.billingModels ?? NO_BILLING_MODELS;
  let accepting = true;
  const services: YkcServices = {
    directory: deps.directory,
    publisher: deps.publisher,
    store: deps.store,
    security: deps.security,
    registry,
    billingModels,
    desKeys: deps.desKeys ?? EMPTY_KEYRING,
    idTags: deps.idTags ?? ACCEPT_EVERY_TAG,
    metrics: deps.diagnostics.metrics,
    frames: deps.diagnostics.frames,
    config: deps.config,
    logger,
    now,
    stamp: (): EventStamp => ({ id: newId(), receivedAt: now() }),
    accepting: () => accepting,
  };
  const sockets = new Set<YkcConnection>();
  const trustedProxy = trustedProxyPredicate(deps.config.trustedProxies ?? []);

  const tcpServer = net.createServer((socket) => {
    if (!accepting) {
      socket.destroy();
      return;
    }
    settlePeer(
      socket,
      trustedProxy(socket.remoteAddress),
      ({ remoteAddress, rest }) => {
        if (!accepting) return socket.destroy();
        const conn = new YkcConnection(socket, services, dispatchYkcFrame, { remoteAddress, initial: rest });
        sockets.add(conn);
        void conn.closed.then(() => sockets.delete(conn));
      },
      (reason) => {
        services.metrics.count('YKC', reason);
        logger.warn({ remoteAddress: socket.remoteAddress, protocol: 'YKC', reason }, 'YKC connection refused: PROXY protocol header');
      },
    );
  });
  tcpServer.on('error', (err) => logger.error({ err }, 'YKC TCP server error'));

  return {
    tcpServer,
    async pushBillingModels(tenantId) {
      billingModels.forget?.(tenantId);
      const piles = registry.ofTenant(tenantId, 'YKC');
      const outcomes = await Promise.all(piles.map((c) => c.handle.pushBillingModel(BILLING_MODEL_PUSH_TIMEOUT_MS).catch(() => 'failed' as const)));
      return {
        pushed: outcomes.filter((o) => o === 'pushed').length,
        current: outcomes.filter((o) => o === 'current').length,
        failed: outcomes.filter((o) => o === 'failed').length,
      };
    },
    async close() {
      accepting = false;
      const all = [...sockets];
      for (const c of all) c.end('bridge shutting down');
      await Promise.all(all.map((c) => c.closed));
      if (tcpServer.listening) await new Promise<void>((resolve) => tcpServer.close(() => resolve()));
    },
  };
}
