import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Where a start's time goes, from the services' own spans: an OTLP/HTTP (JSON) receiver the
 * stack exports to (`bench:starts --trace RATIO`: that share of the starts sampled at the router,
 * the subgraphs following its decision), and per sampled start the phases from the router's
 * request to its answer — before the router's fetch (authentication, the rate limit, planning),
 * the hop to orders (sockets and orders' event loop before it sees the request), orders'
 * handling and, inside it, its statements: each one's time from send to answer as orders saw it
 * and the gaps between them (orders' own code, a pool connection awaited) — then the hop back.
 * A statement that takes long here while Postgres reports the connection idle is time the
 * answer waited for orders to read it.
 */
interface Span {
  service: string;
  traceId: string;
  parentSpanId?: string;
  name: string;
  start: bigint;
  end: bigint;
}

interface OtlpExport {
  resourceSpans?: Array<{
    resource?: { attributes?: Array<{ key: string; value: { stringValue?: string } }> };
    scopeSpans?: Array<{ spans?: Array<{ traceId: string; parentSpanId?: string; name: string; startTimeUnixNano: string; endTimeUnixNano: string }> }>;
  }>;
}

export interface TraceReceiver {
  url: string;
  spans: Span[];
  close(): Promise<void>;
}

export async function startTraceReceiver(): Promise<TraceReceiver> {
  const spans: Span[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpExport;
          for (const rs of body.resourceSpans ?? []) {
            const service = rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue ?? '?';
            for (const ss of rs.scopeSpans ?? [])
              for (const s of ss.spans ?? [])
                spans.push({
                  service,
                  traceId: s.traceId,
                  parentSpanId: s.parentSpanId || undefined,
                  name: s.name,
                  start: BigInt(s.startTimeUnixNano),
                  end: BigInt(s.endTimeUnixNano),
                });
          }
        } catch {
          /* not ours to judge: an export we cannot read is left out */
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

const ms = (a: bigint, b: bigint) => Number(b - a) / 1e6;

export interface StartBreakdown {
  total: number;
  beforeFetch: number;
  hopIn: number;
  orders: number;
  hopOut: number;
  statements: number;
  inStatements: number;
  betweenStatements: number;
}

/** The phases of each sampled start (a trace with the router's request, its fetch and orders' request). */
export function startBreakdowns(spans: readonly Span[]): StartBreakdown[] {
  const byTrace = new Map<string, Span[]>();
  for (const s of spans) byTrace.set(s.traceId, [...(byTrace.get(s.traceId) ?? []), s]);
  const out: StartBreakdown[] = [];
  for (const trace of byTrace.values()) {
    const request = trace.find((s) => s.service.includes('router') && !s.parentSpanId && s.name.startsWith('POST'));
    const fetch = trace.find((s) => s.service.includes('router') && s.name === 'gateway.fetch');
    const orders = trace.find((s) => s.service.includes('orders') && s.name.startsWith('POST'));
    if (!request || !fetch || !orders) continue;
    const statements = trace
      .filter((s) => s.service.includes('orders') && s.name.startsWith('pg.query') && s.start >= orders.start && s.end <= orders.end)
      .sort((a, b) => (a.start < b.start ? -1 : 1));
    // pipelined statements overlap: the time covered by any of them, and what lies between
    let covered = 0;
    let gaps = 0;
    let reach: bigint | null = null;
    for (const q of statements) {
      if (reach === null || q.start > reach) {
        if (reach !== null) gaps += ms(reach, q.start);
        covered += ms(q.start, q.end);
        reach = q.end;
      } else if (q.end > reach) {
        covered += ms(reach, q.end);
        reach = q.end;
      }
    }
    out.push({
      total: ms(request.start, request.end),
      beforeFetch: ms(request.start, fetch.start),
      hopIn: ms(fetch.start, orders.start),
      orders: ms(orders.start, orders.end),
      hopOut: ms(orders.end, fetch.end),
      statements: statements.length,
      inStatements: covered,
      betweenStatements: gaps,
    });
  }
  return out;
}

/** Printed by bench:starts: each phase's mean and percentiles over the sampled starts. */
export function formatBreakdowns(rows: readonly StartBreakdown[]): string {
  if (rows.length === 0) return '  traced starts: none arrived (is the ratio too small, or tracing off?)';
  const keys: [keyof StartBreakdown, string][] = [
    ['total', "the router's request, end to end"],
    ['beforeFetch', 'router before its fetch (auth, rate limit, plan)'],
    ['hopIn', 'router fetch → orders sees the request'],
    ['orders', "orders' request, whole"],
    ['inStatements', '  of which in statements (send → answer, as orders saw it)'],
    ['betweenStatements', '  of which between statements (orders code, pool waits)'],
    ['hopOut', 'orders answered → router has the answer'],
  ];
  const lines = [
    `  traced starts: ${rows.length} (${(rows.reduce((a, r) => a + r.statements, 0) / rows.length).toFixed(1)} statements each), ms mean / p50 / p90:`,
  ];
  for (const [k, label] of keys) {
    const v = rows.map((r) => r[k]).sort((a, b) => a - b);
    const at = (p: number) => v[Math.min(v.length - 1, Math.floor(p * v.length))].toFixed(1);
    lines.push(`    ${label.padEnd(60)} ${(v.reduce((a, b) => a + b, 0) / v.length).toFixed(1).padStart(7)} / ${at(0.5).padStart(7)} / ${at(0.9).padStart(7)}`);
  }
  return lines.join('\n');
}
