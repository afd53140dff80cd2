import http from 'node:http';
import type { Duplex } from 'node:stream';
import { canonicalPath, closeServer, EventBus, Logger, sendJson } from '@evcs/platform';
import type { BridgeConfig } from './config';
import type { ChargerDirectory } from './directory';
import { BatchingChargerEventPublisher } from './kafka/charger-event-publisher';
import { createOcppServer } from './ocpp/server';

export interface BridgeDeps {
  bus: EventBus;
  directory: ChargerDirectory;
  logger: Logger;
  config: BridgeConfig;
}

export interface Bridge {
  /** Not listening: the caller decides the port (0 in tests). */
  httpServer: http.Server;
  readonly connectionCount: number;
  /** Drain: refuse new chargers, close connected ones, publish what is pending. Does not close the bus. */
  close(): Promise<void>;
}

/** Charge point paths: /ocpp/<chargePointId>. Identities may be upper case, so canonicalPath does not apply here. */
const OCPP_PATH = /^\/ocpp\/([^/]+)$/;

/** Builds the protocol bridge: OCPP 1.6-J over WebSocket on /ocpp/<id>, health on /health/*. Never listens. */
export function createBridge(deps: BridgeDeps): Bridge {
  const { logger, config } = deps;
  const publisher = new BatchingChargerEventPublisher(deps.bus, {
    topic: config.topic,
    lingerMs: config.publishLingerMs,
    maxBatch: config.publishMaxBatch,
  });
  const ocpp = createOcppServer({ directory: deps.directory, publisher, logger, config });
  let draining = false;
  let closing: Promise<void> | undefined;

  const httpServer = http.createServer((req, res) => {
    const path = canonicalPath(req.url);
    if (req.method === 'GET' && path === '/health/live') return sendJson(res, 200, { status: 'ok' });
    if (req.method === 'GET' && path === '/health/ready') {
      return draining ? sendJson(res, 503, { status: 'draining' }) : sendJson(res, 200, { status: 'ok', connections: ocpp.connectionCount });
    }
    sendJson(res, 404, { error: 'Not found' });
  });

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
    get connectionCount() {
      return ocpp.connectionCount;
    },
    close() {
      draining = true;
      closing ??= (async () => {
        await ocpp.close();
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
