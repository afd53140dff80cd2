import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { dropDatabase } from '@evcs/platform';
import { registerFleet } from '@evcs/protocol-bridge/dist/src/simulator/register';
import { PG_SUPERUSER_URL, uniqueName } from '@evcs/testkit';
import { startStack, type Stack } from '../stack';
import { Books, checkBooks } from './books';
import { Acked, DrillApi, DrillCharger, runSession, SessionRecord } from './fleet';
import { scenario } from './scenarios';

export interface DrillOptions {
  scenario: string;
  /** chargers, each running sessions back to back */
  chargers: number;
  /** seconds of load in all; the fault comes at faultAtS */
  durationS: number;
  faultAtS: number;
  /** pay each finished session through the Alipay sandbox */
  pay: boolean;
  /** every /health/ready must answer 200 within this long of the fault */
  recoverWithinS: number;
  log: (line: string) => void;
  /** print every service's output (default: quiet) */
  verbose?: boolean;
}

export interface DrillResult {
  scenario: string;
  load: string;
  /** seconds from the fault until every service was ready again; null: not within the bound */
  recoverySeconds: number | null;
  /** seconds from the fault until a session started after it completed */
  firstSessionAfterFaultSeconds: number | null;
  sessionsAttempted: number;
  sessionsCompleted: number;
  failures: string[];
  subscription: { received: number; afterFault: number; connections: number };
  books: Books;
  /** what makes the drill fail: anything lost or duplicated, not ready in time, a subscriber left without events */
  problems: string[];
}

/** A graphql-ws subscriber that, like a client app, reconnects to whichever router answers. */
function subscriber(stack: Stack, token: () => string) {
  let attempt = 0;
  const received: number[] = [];
  let connections = 0;
  const client = createClient({
    url: () => stack.routerUrls[attempt++ % stack.routerUrls.length].replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: () => ({ authorization: `Bearer ${token()}` }),
    lazy: false,
    retryAttempts: 1_000,
    shouldRetry: () => true,
    retryWait: () => sleep(500),
  });
  client.on('connected', () => connections++);
  client.subscribe(
    { query: /* GraphQL */ `subscription DrillConnectorStatus { connectorStatusChanged { eventId status } }` },
    { next: () => void received.push(Date.now()), error: () => undefined, complete: () => undefined },
  );
  return { received, connections: () => connections, close: () => client.dispose() };
}

async function allReady(stack: Stack): Promise<boolean> {
  const urls = stack.processes.names().map((n) => stack.processes.readyUrl(n)!);
  const answers = await Promise.all(
    urls.map((u) =>
      fetch(u, { signal: AbortSignal.timeout(2_000) }).then(
        (r) => r.ok,
        () => false,
      ),
    ),
  );
  return answers.every(Boolean);
}

/** Seconds from the fault until every service answers /health/ready with 200; null if not within the bound. */
async function readyAgain(stack: Stack, faultAt: number, withinS: number): Promise<number | null> {
  while (Date.now() - faultAt < withinS * 1000) {
    if (await allReady(stack)) return (Date.now() - faultAt) / 1000;
    await sleep(250);
  }
  return null;
}

/** Consumers and relays catch up by themselves: the books are final once nothing is missing any more (or a minute passed). */
async function settledBooks(input: Parameters<typeof checkBooks>[0]): Promise<Books> {
  const settleUntil = Date.now() + 60_000;
  for (;;) {
    const books = await checkBooks(input);
    const missing = books.eventsLost.length + books.ordersLost.length + books.paymentsLost.length;
    if (!missing || Date.now() > settleUntil) return books;
    await sleep(3_000);
  }
}

function problemsOf(r: DrillResult, recoverWithinS: number): string[] {
  const b = r.books;
  const p: string[] = [];
  const count = (xs: string[], what: string) => void (xs.length && p.push(`${xs.length} ${what}`));
  if (r.recoverySeconds === null) p.push(`not ready within ${recoverWithinS} s`);
  count(b.eventsLost, 'acknowledged charger events not on Kafka');
  count(b.eventsDuplicated, 'charger event ids on Kafka more than once');
  count(b.ordersLost, 'completed sessions without their priced order');
  count(b.ordersDuplicated, 'orders duplicated or priced twice');
  count(b.paymentsLost, 'payments not recorded');
  count(b.paymentsDuplicated, 'payments applied twice');
  if (r.sessionsCompleted === 0) p.push('no session completed');
  if (r.scenario === 'router-kill' && r.subscription.afterFault === 0) p.push('the subscriber received nothing after the router was killed');
  return p;
}

/** A tenant of its own, signed in for real, with its chargers registered through the API and connected. */
async function seedFleet(s: Stack, count: number) {
  const tenant = { id: randomUUID(), code: uniqueName('drill_op'), name: 'Drill Operator' };
  const password = `drill ${randomUUID()}`;
  await s.seedTenant({ ...tenant, users: [{ username: 'drill', password, roles: ['OPERATOR_ADMIN'] }], stations: [] });
  let token = (await s.login(tenant.code, 'drill', password)).accessToken;
  // signed in again now and then, as an app does before its access token expires
  const relogin = setInterval(
    () =>
      void s.login(tenant.code, 'drill', password).then(
        (l) => (token = l.accessToken),
        () => undefined,
      ),
    240_000,
  );
  relogin.unref();
  const api = new DrillApi(s.routerUrls, () => token);
  const codes = Array.from({ length: count }, (_, i) => `DRILL-${randomUUID().slice(0, 6)}-${i + 1}`);
  const registered = await registerFleet({ routerUrl: s.routerUrls[0], token, stationCode: 'DRILL-ST', ocpp: codes, ykc: [], connectors: 1 });
  const acked: Acked[] = [];
  const chargers: DrillCharger[] = [];
  for (const code of codes) {
    const id = (await api.gql(/* GraphQL */ `query DrillChargerByCode($c: String!) { chargerByCode(code: $c) { id } }`, { c: code })).chargerByCode
      .id as string;
    chargers.push(new DrillCharger(code, id, registered.passwords.get(code), s.bridgeUrls, acked));
  }
  return { api, acked, chargers, token: () => token, stopRelogin: () => clearInterval(relogin) };
}

export async function runDrill(opts: DrillOptions): Promise<DrillResult> {
  const fault = scenario(opts.scenario);
  const database = uniqueName('evcs_drill');
  const namespace = uniqueName('drill');
  const log = opts.log;
  await fault.setup?.();
  let stack: Stack | undefined;
  const chargers: DrillCharger[] = [];
  let sub: ReturnType<typeof subscriber> | undefined;
  try {
    log(`${fault.name}: starting the stack (${JSON.stringify(fault.stack)})`);
    stack = await startStack({ database, kafkaNamespace: namespace, ports: 'ephemeral', quiet: !opts.verbose, ...fault.stack });
    const s = stack;
    const fleet = await seedFleet(s, opts.chargers);
    const { api, acked, token } = fleet;
    chargers.push(...fleet.chargers);
    await Promise.all(chargers.map((c) => c.connect()));
    sub = subscriber(s, token);

    const sessions: SessionRecord[] = [];
    const loadUntil = Date.now() + opts.durationS * 1000;
    const loops = chargers.map(async (ch, i) => {
      await sleep((i * 1000) / chargers.length);
      while (Date.now() < loadUntil) {
        sessions.push(await runSession(api, ch, { pay: opts.pay, alipayUrl: s.paySandboxes.alipayUrl }));
        await sleep(500);
      }
    });
    log(`${opts.chargers} chargers running sessions for ${opts.durationS} s; fault at ${opts.faultAtS} s`);
    await sleep(opts.faultAtS * 1000);
    const faultAt = Date.now();
    await fault.inject(s, (l) => log(`fault: ${l}`));
    const recoverySeconds = await readyAgain(s, faultAt, opts.recoverWithinS);
    log(`ready again: ${recoverySeconds === null ? `NOT within ${opts.recoverWithinS} s` : `${recoverySeconds.toFixed(1)} s after the fault`}`);
    await Promise.all(loops);
    fleet.stopRelogin();
    const firstAfter = sessions.filter((x) => x.completed && x.startedAt > faultAt).map((x) => x.finishedAt! - faultAt);

    log('checking the books');
    const books = await settledBooks({ api, brokers: s.kafkaBrokers, namespace, acked, sessions });
    const result: DrillResult = {
      scenario: fault.name,
      load: `${opts.chargers} chargers × back-to-back sessions for ${opts.durationS} s${opts.pay ? ', each paid' : ''}`,
      recoverySeconds,
      firstSessionAfterFaultSeconds: firstAfter.length ? Math.min(...firstAfter) / 1000 : null,
      sessionsAttempted: sessions.length,
      sessionsCompleted: sessions.filter((x) => x.completed).length,
      failures: sessions.filter((x) => x.failure).map((x) => `${x.chargerCode}: ${x.failure}`),
      subscription: { received: sub.received.length, afterFault: sub.received.filter((t) => t > faultAt).length, connections: sub.connections() },
      books,
      problems: [],
    };
    result.problems = problemsOf(result, opts.recoverWithinS);
    return result;
  } finally {
    await sub?.close();
    await Promise.allSettled(chargers.map((c) => c.close()));
    await stack?.stop().catch(() => undefined);
    await fault.teardown?.().catch(() => undefined);
    await dropDatabase(PG_SUPERUSER_URL, database).catch(() => undefined);
  }
}

/** The drill's result as the lines docs/reliability.md records. */
export function summary(r: DrillResult): string {
  const b = r.books;
  const lines = [
    `scenario: ${r.scenario}`,
    `load: ${r.load}`,
    `time to recover (all /health/ready 200): ${r.recoverySeconds === null ? 'NOT RECOVERED' : `${r.recoverySeconds.toFixed(1)} s`}`,
    `first session completed after the fault: ${r.firstSessionAfterFaultSeconds === null ? '-' : `${r.firstSessionAfterFaultSeconds.toFixed(1)} s`}`,
    `sessions attempted / completed: ${r.sessionsAttempted} / ${r.sessionsCompleted}`,
    `charger events checked: ${b.eventsChecked}, lost: ${b.eventsLost.length}, duplicated: ${b.eventsDuplicated.length} (resent by chargers, deduplicated downstream: ${b.eventsResent})`,
    `orders checked: ${b.sessionsChecked}, lost: ${b.ordersLost.length}, duplicated: ${b.ordersDuplicated.length}`,
    `payments checked: ${b.paymentsChecked}, lost: ${b.paymentsLost.length}, duplicated: ${b.paymentsDuplicated.length}`,
    `subscription: ${r.subscription.received} events (${r.subscription.afterFault} after the fault) over ${r.subscription.connections} connection(s)`,
  ];
  const detail = [...b.eventsLost, ...b.eventsDuplicated, ...b.ordersLost, ...b.ordersDuplicated, ...b.paymentsLost, ...b.paymentsDuplicated, ...r.failures];
  if (detail.length) lines.push('details:', ...detail.slice(0, 30).map((d) => `  ${d}`));
  lines.push(r.problems.length ? `FAILED: ${r.problems.join('; ')}` : 'OK: nothing lost, nothing twice');
  return lines.join('\n');
}
