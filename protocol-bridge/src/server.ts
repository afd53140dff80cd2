import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import { canonicalPath, closeServer, EventBus, Logger, ReadinessCheck, readinessReport, sendJson, type Subscription } from '@evcs/platform';
import { BridgeConfig, silenceTimeoutMs } from './config';
import { Diagnostics } from './connections/diagnostics';
import { ConnectionRegistry } from './connections/registry';
import { InMemorySecurityRecorder } from './connections/charger-security';
import { InMemoryChargerDirectory } from './directory';
import { BatchingChargerEventPublisher } from './kafka/charger-event-publisher';
import { CommandRouter } from './kafka/command-router';
import { startTariffListener, TariffListener } from './kafka/tariff-listener';
import { startAssetListener } from './kafka/asset-listener';
import { recheckCredential } from './connections/credential-check';
import { IdTagListener, startIdTagListener } from './kafka/idtag-listener';
import { ACCEPT_EVERY_TAG } from './id-tags';
import { LocalListSync } from './ocpp/local-list';
import { MemoryLocalListStore } from './persistence/local-list-store';
import { createOcppServer } from './ocpp/server';
import { VerifiedCredentials } from './ocpp/verified-credentials';
import { MemoryBridgeStore } from './persistence/memory-store';
import type { BillingModelSource, BridgeStore, ChargerDirectory, ChargerSecurityRecorder, IdTagAuthority, LocalListStore } from './ports';
import { createDebugHandler } from './debug/graphql';
import type { DesKeyring } from './ykc/des';
import { createYkcServer } from './ykc/server';

export interface BridgeDeps {
  bus: EventBus;
  directory: ChargerDirectory;
  logger: Logger;
  config: BridgeConfig;
  /** Transaction ids, YKC record dedup, connection registry. Default: in memory (tests, demos). */
  store?: BridgeStore;
  /** Serve OCPP over TLS (security profile 2). PEM strings. */
  tls?: { key: string; cert: string };
  billingModels?: BillingModelSource;
  /** 3DES keys of YKC piles registered with a desKeyRef. Default: none (such piles are refused). */
  desKeys?: DesKeyring;
  /**
   * The tenants' id-token authority (Authorize, StartTransaction, StopTransaction, YKC card starts).
   * Default: every tag accepted — the bridge on its own only; main.ts wires the tenants subgraph.
   */
  idTags?: IdTagAuthority;
  /** What chargers' local lists hold. Default: in memory. */
  localListStore?: LocalListStore;
  /**
   * Where learned YKC identities and refused logins go (assets in production: GraphQLSecurityRecorder).
   * Default: in memory, learning into an InMemoryChargerDirectory.
   */
  security?: ChargerSecurityRecorder;
  /** Bearer token for the operator debugging endpoint /debug/graphql; without one the endpoint is off. */
  debugToken?: string;
  /** OCPP password checks. Default: built from the config's authCache and scrypt settings (a test may count the scrypts). */
  credentials?: VerifiedCredentials;
  /** Further readiness checks (main adds the database and Kafka's: producer, consumers, lag). */
  readiness?: ReadinessCheck[];
  now?: () => Date;
  newId?: () => string;
}

export interface Bridge {
  /** OCPP (ws or wss) and health. Not listening: the caller decides the port (0 in tests). */
  httpServer: http.Server;
  /** YKC over TCP. Not listening either. */
  ykcServer: net.Server;
  readonly connectionCount: number;
  readonly diagnostics: Diagnostics;
  /** Every charger connected here, both protocols. */
  readonly registry: ConnectionRegistry;
  readonly commands: CommandRouter;
  /** Present when id-tag changes are heard (config.idTagEventsTopic). */
  readonly localLists?: LocalListSync;
  /**
   * Start consuming platform commands, and tariff, id-tag and asset changes when their topics are set
   * (Kafka consumers: this is I/O, so not done by the factory).
   */
  startCommands(): Promise<void>;
  /** The tenant's connected YKC piles get the platform's current billing model if theirs is another. */
  pushBillingModels(tenantId: string): Promise<{ pushed: number; current: number; failed: number }>;
  /** Drain: refuse new chargers, close connected ones, publish what is pending. Does not close the bus or store. */
  close(): Promise<void>;
}

/** Charge point paths: /ocpp/<chargePointId>. Identities may be upper case, so canonicalPath does not apply here. */
const OCPP_PATH = /^\/ocpp\/([^/]+)$/;

/** Builds the protocol bridge: OCPP 1.6-J over WebSocket on /ocpp/<id>, YKC over TCP, health on /health/*. Never listens. */
export function createBridge(deps: BridgeDeps): Bridge {
  const { logger, config } = deps;
  const newId = deps.newId ?? randomUUID;
  const store = deps.store ?? new MemoryBridgeStore();
  const diagnostics = new Diagnostics();
  const publisher = new BatchingChargerEventPublisher(deps.bus, {
    topic: config.topic,
    lingerMs: config.publishLingerMs,
    maxBatch: config.publishMaxBatch,
  });
  const registry = new ConnectionRegistry({
    store,
    bridgeId: config.bridgeId,
    logger,
    silenceTimeoutMs: silenceTimeoutMs(config),
    sweepIntervalMs: config.sweepIntervalMs,
    now: deps.now,
  });
  const idTags = deps.idTags ?? ACCEPT_EVERY_TAG;
  // Local lists are kept only where id-tag changes are heard.
  const localLists = config.idTagEventsTopic
    ? new LocalListSync({
        authority: idTags,
        connections: registry,
        store: deps.localListStore ?? new MemoryLocalListStore(),
        logger,
        count: (what) => diagnostics.metrics.count('OCPP16', what),
      })
    : undefined;
  const security = deps.security ?? new InMemorySecurityRecorder(deps.directory instanceof InMemoryChargerDirectory ? deps.directory : undefined);
  const common = { directory: deps.directory, publisher, logger, config, store, diagnostics, registry, security, now: deps.now, newId, idTags };
  const credentials =
    deps.credentials ??
    new VerifiedCredentials({ ttlMs: config.authCacheTtlMs, maxEntries: config.authCacheMaxEntries, concurrency: config.scryptConcurrency });
  const ocpp = createOcppServer({ ...common, tls: Boolean(deps.tls), localLists, credentials });
  const ykc = createYkcServer({ ...common, billingModels: deps.billingModels, desKeys: deps.desKeys });
  let tariffs: TariffListener | undefined;
  let idTagChanges: IdTagListener | undefined;
  let assetChanges: Subscription | undefined;
  const commands = new CommandRouter({
    bus: deps.bus,
    publisher,
    store,
    registry,
    logger,
    bridgeId: config.bridgeId,
    commandTopic: config.commandTopic,
    connectionStaleMs: config.connectionStaleMs,
    now: deps.now,
    newId,
  });
  const debug = deps.debugToken
    ? createDebugHandler({ token: deps.debugToken, diagnostics, publisher, registry, bridgeId: config.bridgeId, newId, now: deps.now })
    : undefined;
  let draining = false;
  let closing: Promise<void> | undefined;

  const onRequest: http.RequestListener = (req, res) => {
    const path = canonicalPath(req.url);
    if (req.method === 'GET' && path === '/health/live') return sendJson(res, 200, { status: 'ok' });
    if (req.method === 'GET' && path === '/health/ready') {
      if (draining) return sendJson(res, 503, { status: 'draining', service: 'protocol-bridge', failing: ['draining'] });
      void readinessReport('protocol-bridge', deps.readiness ?? []).then((r) =>
        sendJson(res, r.status === 'ready' ? 200 : 503, { ...r, connections: registry.count(), ocpp: registry.count('OCPP16'), ykc: registry.count('YKC') }),
      );
      return;
    }
    if (debug && path === '/debug/graphql') return debug(req, res);
    sendJson(res, 404, { error: 'Not found' });
  };
  const httpServer: http.Server = deps.tls ? https.createServer({ key: deps.tls.key, cert: deps.tls.cert }, onRequest) : http.createServer(onRequest);

  httpServer.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', (err) => logger.debug({ err }, 'upgrade socket error'));
    if (draining) return refuseUpgrade(socket, 503);
    const rawPath = (req.url ?? '').split('?')[0];
    const m = OCPP_PATH.exec(rawPath);
    if (!m) return refuseUpgrade(socket, 404);
    try {
      // ocpp-rpc decodes the identity without guarding against malformed escapes.
      decodeURIComponent(m[1]);
    } catch {
      return refuseUpgrade(socket, 400);
    }
    ocpp.handleUpgrade(req, socket, head);
  });

  return {
    httpServer,
    ykcServer: ykc.tcpServer,
    diagnostics,
    registry,
    commands,
    localLists,
    get connectionCount() {
      return registry.count();
    },
    startCommands: async () => {
      await commands.start();
      if (config.tariffEventsTopic) {
        tariffs = await startTariffListener({
          bus: deps.bus,
          topic: config.tariffEventsTopic,
          groupId: `${config.tariffEventsTopic}.bridge.${config.bridgeId}`,
          push: (tenantId) => ykc.pushBillingModels(tenantId),
          logger,
        });
      }
      const directory = deps.directory;
      if (config.assetEventsTopic) {
        assetChanges = await startAssetListener({
          bus: deps.bus,
          topic: config.assetEventsTopic,
          groupId: `${config.assetEventsTopic}.bridge.${config.bridgeId}`,
          forget: (change) => {
            directory.forget?.(change);
            // any change may be a new credential: the next connect runs scrypt against what assets now says
            credentials.forget(change.code);
          },
          // a revoked or rotated credential ends the connection made with the old one
          recheck: (change) => recheckCredential({ directory, registry, logger, count: (what) => diagnostics.metrics.count('OCPP16', what) }, change),
          logger,
        });
      }
      if (config.idTagEventsTopic && localLists) {
        idTagChanges = await startIdTagListener({
          bus: deps.bus,
          topic: config.idTagEventsTopic,
          groupId: `${config.idTagEventsTopic}.bridge.${config.bridgeId}`,
          apply: async (tenantId, events) => {
            idTags.forget?.(tenantId);
            // Queued per charger in arrival order; not awaited, so a charger slow to answer holds up no other tenant's changes.
            void localLists.onChanges(tenantId, events);
          },
          logger,
        });
      }
    },
    pushBillingModels: (tenantId) => ykc.pushBillingModels(tenantId),
    close() {
      draining = true;
      closing ??= (async () => {
        await tariffs?.stop();
        await idTagChanges?.stop();
        await assetChanges?.stop();
        await commands.stop();
        await Promise.all([ocpp.close(), ykc.close()]);
        registry.stop();
        await publisher.close();
        await closeServer(httpServer);
      })();
      return closing;
    },
  };
}

function refuseUpgrade(socket: Duplex, status: number): void {
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  }
  socket.destroy();
}
