import {
  CHARGER_EVENTS_TOPIC,
  decodeChargerEvent,
  decodeOrderEvent,
  decodePaymentEvent,
  type ChargerEvent,
  ORDER_EVENTS_TOPIC,
  PAYMENT_EVENTS_TOPIC,
} from '@evcs/events';
import { KafkaEventBus, kafkaNames, type ReceivedMessage } from '@evcs/platform';
import { uniqueName } from '@evcs/testkit';
import type { Acked, DrillApi, SessionRecord } from './fleet';

/**
 * Checking the books after a drill: what the chargers were told was done, and
 * what the platform recorded. "Lost" and "duplicated" are the two numbers that
 * must be zero; everything else is context.
 */
export interface Books {
  eventsChecked: number;
  eventsLost: string[];
  /** one event id on the topic more than once (a produce retried past the idempotent producer) */
  eventsDuplicated: string[];
  /** a charger's message that became more than one event (its resend after an unanswered call): consumers dedupe these */
  eventsResent: number;
  sessionsChecked: number;
  /** a completed session without its order, or with the wrong energy, or unpriced */
  ordersLost: string[];
  /** an order priced (order.completed) more than once, or more orders than sessions on a charger */
  ordersDuplicated: string[];
  paymentsChecked: number;
  paymentsLost: string[];
  paymentsDuplicated: string[];
}

/** The key a charger event is found under: the same one fleet.ts records when the bridge answers. */
function keyOf(e: ChargerEvent): string | undefined {
  switch (e.type) {
    case 'connector.status_changed':
      return `status|${e.data.connectorId}|${e.data.status}|${e.occurredAt}`;
    case 'session.started':
      return `started|${e.data.startedAt}`;
    case 'session.meter_values':
      return `meter|${e.data.transactionId}|${e.data.readings[0]?.timestamp}`;
    case 'session.stopped':
      return `stopped|${e.data.transactionId}`;
    default:
      return undefined;
  }
}

/** Every message the topics hold now, read by a group of its own that commits nothing. */
async function readAll(brokers: string[], topic: string): Promise<ReceivedMessage[]> {
  const bus = new KafkaEventBus({ clientId: uniqueName('drill-books'), brokers });
  const out: ReceivedMessage[] = [];
  try {
    const sub = await bus.subscribe({
      groupId: uniqueName('drill-books'),
      topics: [topic],
      replay: true,
      handleBatch: async (ms) => void out.push(...ms),
    });
    await sub.ready;
    await sub.caughtUp;
    await sub.stop();
  } finally {
    await bus.close();
  }
  return out;
}

interface OrderView {
  id: string;
  state: string;
  energy: { wh: string } | null;
  amount: { minor: number } | null;
  bill: { total: { minor: number } } | null;
}

async function ordersOf(api: DrillApi, chargerId: string): Promise<OrderView[]> {
  const all: OrderView[] = [];
  let after: string | null = null;
  for (;;) {
    const d = await api.retrying(
      'orders',
      () =>
        api.gql(
          /* GraphQL */ `query DrillOrdersOfChargers($c: [ID!], $a: String) { orders(filter: { chargerIds: $c }, first: 100, after: $a) { edges { node { id state energy { wh } amount { minor } bill { total { minor } } } } pageInfo { hasNextPage endCursor } } }`,
          { c: [chargerId], a: after },
        ),
      30_000,
    );
    all.push(...d.orders.edges.map((e: { node: OrderView }) => e.node));
    if (!d.orders.pageInfo.hasNextPage) return all;
    after = d.orders.pageInfo.endCursor;
  }
}

const countBy = <T>(xs: T[], key: (x: T) => string) => xs.reduce((m, x) => m.set(key(x), (m.get(key(x)) ?? 0) + 1), new Map<string, number>());
/**
 * Per order, how many different events of a kind: the outbox relays at least once, so one
 * event (one id) may be on the topic twice and consumers deduplicate it; two ids would be
 * the order priced, or the payment applied, twice.
 */
const distinctPerOrder = <T extends { id: string; orderId: string }>(xs: T[]) => countBy([...new Map(xs.map((x) => [x.id, x])).values()], (x) => x.orderId);

interface BooksInput {
  api: DrillApi;
  brokers: string[];
  namespace: string;
  acked: Acked[];
  sessions: SessionRecord[];
}

type EventBooks = Pick<Books, 'eventsChecked' | 'eventsLost' | 'eventsDuplicated' | 'eventsResent'>;
type OrderBooks = Pick<Books, 'sessionsChecked' | 'ordersLost' | 'ordersDuplicated'>;
type PaymentBooks = Pick<Books, 'paymentsChecked' | 'paymentsLost' | 'paymentsDuplicated'>;

/** Every charger message the bridge answered is on the charger-events topic; no event id is there twice. */
async function eventBooks(opts: BooksInput): Promise<EventBooks> {
  const charger = (await readAll(opts.brokers, kafkaNames(opts.namespace).topic(CHARGER_EVENTS_TOPIC))).map((m) => decodeChargerEvent(m.value));
  const byId = countBy(charger, (e) => e.id);
  const byKey = countBy(
    charger.filter((e) => keyOf(e)),
    (e) => `${e.chargerId}|${keyOf(e)}`,
  );
  const acked = opts.acked.filter((a) => a.key !== 'connect');
  return {
    eventsChecked: acked.length,
    eventsLost: acked.filter((a) => !byKey.has(`${a.chargerCode}|${a.key}`)).map((a) => `${a.chargerCode} ${a.key}`),
    eventsDuplicated: [...byId].filter(([, n]) => n > 1).map(([id, n]) => `${id} ×${n}`),
    eventsResent: acked.filter((a) => (byKey.get(`${a.chargerCode}|${a.key}`) ?? 0) > 1).length,
  };
}

/** What is wrong with one completed session's order, if anything. */
function orderProblem(s: SessionRecord, o: OrderView | undefined): string | undefined {
  if (!o) return 'no order';
  if (!['TO_PAY', 'PAID'].includes(o.state)) return `${o.state}, not priced`;
  if (o.energy?.wh !== String(s.energyWh)) return `energy ${o.energy?.wh} Wh, charger metered ${s.energyWh}`;
  if (!o.amount || o.amount.minor !== o.bill?.total.minor) return `amount ${o.amount?.minor} ≠ bill ${o.bill?.total.minor}`;
  return undefined;
}

/** Every completed session is exactly one order, priced once (one order.completed) with the metered energy. */
async function orderBooks(opts: BooksInput): Promise<OrderBooks> {
  const out: OrderBooks = { sessionsChecked: 0, ordersLost: [], ordersDuplicated: [] };
  const completedEvents = (await readAll(opts.brokers, kafkaNames(opts.namespace).topic(ORDER_EVENTS_TOPIC))).map((m) => decodeOrderEvent(m.value));
  const priced = distinctPerOrder(completedEvents);
  const sessionsByCharger = new Map<string, SessionRecord[]>();
  for (const s of opts.sessions) sessionsByCharger.set(s.chargerId, [...(sessionsByCharger.get(s.chargerId) ?? []), s]);
  for (const [chargerId, sessions] of sessionsByCharger) {
    const orders = new Map((await ordersOf(opts.api, chargerId)).map((o) => [o.id, o]));
    // every order on the charger is one a session asked for (startCharging with its own key)
    const asked = new Set(sessions.map((s) => s.orderId).filter(Boolean));
    for (const id of orders.keys()) if (!asked.has(id)) out.ordersDuplicated.push(`${id}: an order no session started`);
    for (const s of sessions.filter((x) => x.completed)) {
      out.sessionsChecked++;
      const label = `${s.chargerCode} tx ${s.transactionId} order ${s.orderId}`;
      const problem = orderProblem(s, orders.get(s.orderId!));
      if (problem) out.ordersLost.push(`${label}: ${problem}`);
      const n = priced.get(s.orderId!) ?? 0;
      if (n > 1) out.ordersDuplicated.push(`${label}: order.completed ×${n}`);
      if (!problem && n === 0) out.ordersLost.push(`${label}: no order.completed on Kafka`);
    }
  }
  return out;
}

/** Every session paid through the sandbox succeeded once, and nothing was refunded (the drill asks for no refund). */
async function paymentBooks(opts: BooksInput): Promise<PaymentBooks> {
  const out: PaymentBooks = { paymentsChecked: 0, paymentsLost: [], paymentsDuplicated: [] };
  const paid = opts.sessions.filter((s) => s.paid);
  if (!paid.length) return out;
  const payments = (await readAll(opts.brokers, kafkaNames(opts.namespace).topic(PAYMENT_EVENTS_TOPIC))).map((m) => decodePaymentEvent(m.value));
  const succeeded = distinctPerOrder(payments.filter((p) => p.type === 'payment.succeeded'));
  const refunds = distinctPerOrder(payments.filter((p) => p.type === 'refund.succeeded'));
  for (const s of paid) {
    out.paymentsChecked++;
    const n = succeeded.get(s.orderId!) ?? 0;
    if (n === 0) out.paymentsLost.push(`order ${s.orderId}: no payment.succeeded`);
    if (n > 1) out.paymentsDuplicated.push(`order ${s.orderId}: payment.succeeded ×${n}`);
    if ((refunds.get(s.orderId!) ?? 0) > 0) out.paymentsDuplicated.push(`order ${s.orderId}: refunded without a refund asked`);
  }
  return out;
}

export async function checkBooks(opts: BooksInput): Promise<Books> {
  return { ...(await eventBooks(opts)), ...(await orderBooks(opts)), ...(await paymentBooks(opts)) };
}
