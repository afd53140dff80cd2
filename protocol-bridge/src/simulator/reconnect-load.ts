import WebSocket from 'ws';

/**
 * The load generator of `bench:connections -- --reconnect-storm` (forked by reconnect-storm.js,
 * talks to it over IPC): on `storm`, opens `count` OCPP WebSockets at once — a fleet reconnecting
 * after a bridge restart — each with HTTP Basic auth when a password is given, from the loopback
 * addresses 127.0.0.2… (`addresses` of them), and times each from the upgrade request to `open`
 * (admission latency). Then closes them all and reports.
 */
interface Storm {
  type: 'storm';
  url: string;
  prefix: string;
  count: number;
  addresses: number;
  password?: string;
}

function open(m: Storm, i: number, failures: Map<string, number>): Promise<{ ws?: WebSocket; ms?: number }> {
  return new Promise((resolve) => {
    const id = `${m.prefix}${i}`;
    const headers = m.password ? { authorization: `Basic ${Buffer.from(`${id}:${m.password}`).toString('base64')}` } : undefined;
    const t0 = performance.now();
    const ws = new WebSocket(`${m.url}/${id}`, 'ocpp1.6', { localAddress: `127.0.0.${2 + (i % m.addresses)}`, perMessageDeflate: false, headers });
    let settled = false;
    const fail = (reason: string) => {
      if (settled) return;
      settled = true;
      failures.set(reason, (failures.get(reason) ?? 0) + 1);
      resolve({});
    };
    const timer = setTimeout(() => (fail('timeout'), ws.terminate()), 300_000);
    ws.once('open', () => {
      settled = true;
      clearTimeout(timer);
      resolve({ ws, ms: performance.now() - t0 });
    });
    ws.once('unexpected-response', (_req, res) => (clearTimeout(timer), fail(`http ${res.statusCode ?? '?'}`)));
    ws.once('error', (e: NodeJS.ErrnoException) => (clearTimeout(timer), fail(e.code ?? e.message)));
  });
}

process.on('message', (m: Storm) => {
  if (m.type !== 'storm') return;
  void (async () => {
    const failures = new Map<string, number>();
    const t0 = performance.now();
    const results = await Promise.all(Array.from({ length: m.count }, (_, i) => open(m, i, failures)));
    const seconds = (performance.now() - t0) / 1000;
    const sockets = results.flatMap((r) => (r.ws ? [r.ws] : []));
    await Promise.all(
      sockets.map(
        (ws) =>
          new Promise<void>((resolve) => {
            ws.once('close', () => resolve());
            ws.close();
          }),
      ),
    );
    process.send?.({
      type: 'storm',
      opened: sockets.length,
      seconds,
      latencies: results.flatMap((r) => (r.ms === undefined ? [] : [r.ms])),
      failures: Object.fromEntries(failures),
    });
  })();
});
