import http from 'node:http';
import https from 'node:https';
import { AddressInfo } from 'node:net';
import tls from 'node:tls';

/**
 * POSTs a notification as the channels do, and reads the answer. Over https the system's CAs are
 * trusted, plus `extraCa` when given: the sandbox notifying through a test's own edge, whose
 * certificate no system trusts (global fetch takes no CA of its own).
 */
export function postNotification(
  url: string,
  o: { headers: Record<string, string>; body: string; timeoutMs: number; extraCa?: string },
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const options = { method: 'POST', headers: { ...o.headers, 'content-length': String(Buffer.byteLength(o.body)) }, timeout: o.timeoutMs };
    const onAnswer = (res: http.IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    };
    const req =
      u.protocol === 'https:'
        ? https.request(u, { ...options, ...(o.extraCa ? { ca: [...tls.rootCertificates, o.extraCa] } : {}) }, onAnswer)
        : http.request(u, options, onAnswer);
    req.on('timeout', () => req.destroy(new Error('notification timed out')));
    req.on('error', reject);
    req.end(o.body);
  });
}

/** A sandbox's HTTP server; the factory never listens, `start(0)` picks a free port. */
export interface SandboxServer {
  server: http.Server;
  /** Listen on 127.0.0.1; resolves with the base URL (no trailing slash). */
  start(port?: number): Promise<string>;
  baseUrl(): string;
  stop(): Promise<void>;
}

export function readRaw(req: http.IncomingMessage, limit = 1_000_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function send(res: http.ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-length': String(Buffer.byteLength(body)), ...headers });
  res.end(body);
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  send(res, status, JSON.stringify(body), { 'content-type': 'application/json; charset=utf-8', ...headers });
}

/** What `POST /sandbox/trades/:no/:action` may carry. */
export interface TradeControlBody {
  notify?: boolean;
  notifyAmountFen?: number;
}

/**
 * The sandboxes' own trade controls: `GET /sandbox/trades/:no` shows a trade,
 * `POST /sandbox/trades/:no/:action` acts on it and answers with the trade.
 * False when the request is neither (the caller answers 404).
 */
export async function tradeControl(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  no: string,
  action: string | undefined,
  trades: { get(no: string): unknown; act(no: string, action: string, body: TradeControlBody): unknown },
): Promise<boolean> {
  try {
    if (!action && req.method === 'GET') {
      sendJson(res, 200, trades.get(no));
      return true;
    }
    if (!action || req.method !== 'POST') return false;
    const body = JSON.parse((await readRaw(req)) || '{}') as TradeControlBody;
    sendJson(res, 200, trades.act(no, action, body));
  } catch (e) {
    sendJson(res, (e as { status?: number }).status ?? 500, { error: (e as Error).message });
  }
  return true;
}

export function sandboxServer(handler: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>, onStop: () => void): SandboxServer {
  const server = http.createServer((req, res) => {
    handler(req, res).catch((e: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { code: 'SYSTEM_ERROR', message: e instanceof Error ? e.message : String(e) });
      else res.end();
    });
  });
  let base = '';
  return {
    server,
    start: (port = 0) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => {
          base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
          resolve(base);
        });
      }),
    baseUrl: () => base,
    stop: async () => {
      onStop();
      await new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections?.();
    },
  };
}

/** yyyy-MM-dd HH:mm:ss in Asia/Shanghai (UTC+8, no daylight saving), Alipay's time format. */
export function shanghaiDateTime(d: Date): string {
  return new Date(d.getTime() + 8 * 3600_000).toISOString().replace('T', ' ').slice(0, 19);
}
/** RFC 3339 with +08:00, WeChat Pay's time format. */
export function rfc3339Shanghai(d: Date): string {
  return `${new Date(d.getTime() + 8 * 3600_000).toISOString().slice(0, 19)}+08:00`;
}
/** The Asia/Shanghai calendar date (yyyy-MM-dd) of an instant: statements are per such day. */
export function shanghaiDate(d: Date): string {
  return shanghaiDateTime(d).slice(0, 10);
}

// The sandboxes play Alipay and WeChat Pay, outside the platform: they keep their own yuan
// conversion on purpose (no @evcs dependency), so a bug in the platform's money module shows up as a
// disagreement with the "channel" instead of being shared by both sides.

/** Integer fen to a yuan string with exactly two decimals. */
export function fenToYuan(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const a = Math.abs(fen);
  return `${sign}${Math.floor(a / 100)}.${String(a % 100).padStart(2, '0')}`;
}
/** A yuan string ("12.34", "12.3", "12") to integer fen, exactly; null when malformed. */
export function yuanToFen(s: string): number | null {
  const m = /^(-)?(\d{1,12})(?:\.(\d{1,2}))?$/.exec(s.trim());
  if (!m) return null;
  const fen = Number(m[2]) * 100 + Number((m[3] ?? '').padEnd(2, '0'));
  return m[1] ? -fen : fen;
}

/**
 * Asynchronous notification delivery with a retry schedule: the first attempt at
 * once, then one after each delay of `scheduleMs`, until the receiver acknowledges.
 */
export class Notifier {
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly scheduleMs: readonly number[]) {}

  deliver(attempt: () => Promise<boolean>, onAttempt: (ok: boolean, n: number) => void): void {
    const run = (n: number) => {
      if (this.stopped) return;
      attempt()
        .catch(() => false)
        .then((ok) => {
          onAttempt(ok, n);
          if (ok || n >= this.scheduleMs.length || this.stopped) return;
          const t = setTimeout(() => {
            this.timers.delete(t);
            run(n + 1);
          }, this.scheduleMs[n]);
          t.unref();
          this.timers.add(t);
        })
        .catch(() => undefined);
    };
    run(0);
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}

export type Fault = 'none' | 'http500' | 'hang';
