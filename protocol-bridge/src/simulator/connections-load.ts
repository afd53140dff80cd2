import { monitorEventLoopDelay } from 'node:perf_hooks';
import WebSocket from 'ws';

/**
 * One load-generator process of `bench:connections` (started by connections-bench.js, talks to
 * it over IPC): opens `count` OCPP 1.6-J WebSockets (no library per connection — a bare `ws`
 * with hand-written frames keeps the generator light) from the loopback source addresses
 * 127.0.0.<first>…<first+addresses-1>, so no source address runs out of ephemeral ports; then
 * each connection sends a Heartbeat every `heartbeatS` seconds (spread evenly) and times the
 * CALLRESULT.
 *
 *   node connections-load.js <url> <prefix> <count> <first> <addresses> <heartbeatS> <concurrency>
 */
const [url, prefix, countArg, firstArg, addressesArg, heartbeatArg, concurrencyArg] = process.argv.slice(2);
const count = Number(countArg);
const first = Number(firstArg);
const addresses = Number(addressesArg);
const heartbeatMs = Number(heartbeatArg) * 1000;
const concurrency = Number(concurrencyArg);

const sockets: WebSocket[] = [];
const failures = new Map<string, number>();
let closed = 0;
let sent = 0;
let answered = 0;
let latencies: number[] = [];
const pending = new Map<string, number>();
let nextId = 0;
/** This generator's own loop delay: if it is late, so are its heartbeats' timings. */
const loop = monitorEventLoopDelay({ resolution: 10 });
/** the next connection to open */
let i = 0;

let failedInARow = 0;
const fail = (reason: string) => (failedInARow++, failures.set(reason, (failures.get(reason) ?? 0) + 1));
/** This many failures in a row: the bridge takes no more; stop trying and hold what is open. */
const GIVE_UP_AFTER = 200;

function open(i: number): Promise<void> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${url}/${prefix}${i}`, 'ocpp1.6', { localAddress: `127.0.0.${first + (i % addresses)}`, perMessageDeflate: false });
    let settled = false;
    // A bridge out of file descriptors never answers the upgrade: give up on this one.
    const timer = setTimeout(() => (settled ? undefined : (fail('timeout'), ws.terminate(), done())), 10_000);
    const done = () => (settled ? undefined : ((settled = true), clearTimeout(timer), resolve()));
    ws.once('open', () => {
      sockets.push(ws);
      failedInARow = 0;
      done();
    });
    ws.once('unexpected-response', (_req, res) => (fail(`http ${res.statusCode ?? '?'}`), done()));
    ws.once('error', (e: NodeJS.ErrnoException) => (settled ? undefined : (fail(e.code ?? e.message), done())));
    ws.once('close', () => (settled ? closed++ : done()));
    ws.on('message', (data: Buffer) => {
      // [3, "<id>", {...}] — the id is ours, the payload is the bridge's answer
      const text = data.toString();
      if (text.charCodeAt(1) !== 51) return; // a CALL from the bridge (none expected) or an error
      const end = text.indexOf('"', 4);
      const id = text.slice(4, end);
      const t = pending.get(id);
      if (t === undefined) return;
      pending.delete(id);
      answered++;
      latencies.push(performance.now() - t);
    });
  });
}

async function openAll(): Promise<void> {
  const lanes = Array.from({ length: concurrency }, async () => {
    while (i < count && failedInARow < GIVE_UP_AFTER) {
      await open(i++);
      if (i % 1000 === 0) process.send?.({ type: 'progress', opened: sockets.length, failed: [...failures.values()].reduce((a, b) => a + b, 0) });
    }
  });
  await Promise.all(lanes);
}

/** Every 50 ms the slice of connections whose heartbeat is due: each beats once per interval. */
function beat(): void {
  const tickMs = 50;
  let cursor = 0;
  setInterval(() => {
    const n = Math.ceil((sockets.length * tickMs) / heartbeatMs);
    for (let k = 0; k < n && sockets.length > 0; k++) {
      const ws = sockets[cursor++ % sockets.length];
      if (ws.readyState !== WebSocket.OPEN) continue;
      const id = String(nextId++);
      pending.set(id, performance.now());
      sent++;
      ws.send(`[2,"${id}","Heartbeat",{}]`);
    }
  }, tickMs);
}

process.on('message', (m: { type: string }) => {
  if (m.type === 'reset') {
    // answers to heartbeats sent before the reset are not counted
    pending.clear();
    latencies = [];
    sent = 0;
    answered = 0;
    loop.reset();
    loop.enable();
  } else if (m.type === 'report') {
    const ms = (ns: number) => Math.round(ns / 1e5) / 10;
    process.send?.({
      type: 'report',
      loopDelayMs: { p99: ms(loop.percentile(99)), max: ms(loop.max) },
      latencies,
      sent,
      answered,
      open: sockets.filter((s) => s.readyState === WebSocket.OPEN).length,
      closed,
    });
  }
});

void openAll().then(() => {
  if (failedInARow >= GIVE_UP_AFTER) failures.set(`gave up after ${GIVE_UP_AFTER} failures in a row (not tried)`, count - i);
  process.send?.({ type: 'opened', opened: sockets.length, failures: Object.fromEntries(failures) });
  beat();
});
