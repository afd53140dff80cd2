import DataLoader from 'dataloader';
import { CHARGER_EVENTS_PARTITIONS, CHARGER_EVENTS_TOPIC, ChargerEvent, decodeChargerEvent } from '@evcs/events';
import { applyTenantRuns, type DeadLetterRecorder, type EventBus, type Logger, type MessageHandler, type Subscription } from '@evcs/platform';
import type { StatusIngestService } from '../domain/status-ingest';

type Outcome = Awaited<ReturnType<StatusIngestService['apply']>>;

export interface StatusConsumerOptions {
  bus: EventBus;
  ingest: StatusIngestService;
  logger: Logger;
  /** where events that can never be applied go (the service's dead letters) */
  deadLetters: DeadLetterRecorder;
  groupId?: string;
  topic?: string;
}

/** The consumer's stable name: its group (within the namespace) and the name its dead letters carry. */
export const STATUS_CONSUMER = 'assets-status';

/**
 * Charger events → connector status. Consecutive events of one tenant are applied in one
 * transaction, their connector statuses set-based (a constant number of statements per run); if
 * that fails, they are applied again one by one. What still fails is thrown, and the
 * subscription settles it: an event that can never be applied (a malformed one, a refusal for
 * good) is dead-lettered — blocking the partition would stop every charger behind it — and a
 * retriable failure is retried. The store makes replays no-ops; the dead-letter replay calls
 * this same handler.
 *
 * Group commit: the calls of one fetch — a call per partition, all partitions at once — are
 * gathered in the same turn of the event loop and applied together, one transaction per tenant
 * for all of them. A transaction per partition made a fetch cost twelve commits (each a WAL
 * flush) in waves of the pool's width, and the next fetch waited for the last: at 2,000
 * statuses/s an event sat a second before its turn came. Merging keeps each charger's order
 * (its events share a partition, so a call; calls are concatenated, then stably grouped by
 * tenant). If the merged work fails, each call is applied alone again, so one partition's bad
 * event fails only its own call.
 */
/**
 * Partitions merged into one transaction. Not all twelve: one statement runs on one core of the
 * database, so a fetch split three ways keeps both cores of a small machine busy while still
 * committing three times instead of twelve.
 */
const CALLS_PER_TRANSACTION = 4;

/** The charger event types StatusIngestService.apply acts on (it ignores the others). */
const STATUS_EVENT_TYPES: ReadonlySet<string> = new Set<ChargerEvent['type']>([
  'connector.status_changed',
  'charger.connected',
  'charger.disconnected',
  'charger.booted',
  'charger.notice',
]);

export function statusHandler(ingest: StatusIngestService, logger: Logger): MessageHandler {
  const applyAll = (events: readonly ChargerEvent[]) =>
    applyTenantRuns<ChargerEvent, Outcome>(
      events,
      (tenantId, run) => ingest.applyRun(tenantId, run),
      (event) => ingest.apply(event),
    );
  const calls = new DataLoader<readonly ChargerEvent[], Outcome[]>(
    async (batch) => {
      if (batch.length === 1) return [await applyAll(batch[0])];
      const merged = batch.flatMap((events, call) => events.map((event, k) => ({ event, call, k })));
      // stable: each charger's events keep their order within their tenant's run
      merged.sort((a, b) => (a.event.tenantId < b.event.tenantId ? -1 : a.event.tenantId > b.event.tenantId ? 1 : 0));
      try {
        const outcomes = await applyAll(merged.map((m) => m.event));
        const out = batch.map((events) => new Array<Outcome>(events.length));
        merged.forEach((m, i) => (out[m.call][m.k] = outcomes[i]));
        return out;
      } catch {
        return Promise.all(batch.map((events) => applyAll(events).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))))));
      }
    },
    { cache: false, batchScheduleFn: (dispatch) => setImmediate(dispatch), maxBatchSize: CALLS_PER_TRANSACTION },
  );
  return async (messages) => {
    // Sessions, meter values, heartbeats and command results are other consumers' business:
    // skipped by the type the producer puts in a header, unparsed, and a call of only those
    // opens no transaction. An event without the header is parsed and judged by the ingest.
    const ours = messages.filter((m) => {
      const type = m.headers['event-type'];
      return type === undefined || STATUS_EVENT_TYPES.has(type);
    });
    if (ours.length === 0) return;
    const events = ours.map((m) => decodeChargerEvent(m.value));
    const outcomes = await calls.load(events);
    events.forEach((event, k) => {
      if (outcomes[k] === 'unknown-charger')
        logger.warn({ chargerId: event.chargerId, tenantId: event.tenantId, type: event.type }, 'event for unknown charger');
    });
  };
}

/** Offsets commit only after each call's events are applied (at-least-once). */
export async function startStatusConsumer(opts: StatusConsumerOptions): Promise<Subscription> {
  return opts.bus.subscribe({
    groupId: opts.groupId ?? STATUS_CONSUMER,
    topics: [opts.topic ?? CHARGER_EVENTS_TOPIC],
    fromBeginning: true,
    // Every partition of a fetch at once: their calls are applied together (see statusHandler),
    // so this costs no more connections than one.
    partitionsConcurrently: CHARGER_EVENTS_PARTITIONS,
    // A call is a constant number of statements whatever its length (set-based): larger calls
    // mean fewer transactions and offset commits; 500 applied that way still take well under
    // the session timeout.
    maxMessagesPerCall: 500,
    // No fetchAhead: measured with it and without (docs/benchmarks.md, Session 12), it was not
    // faster here — the transactions got smaller and more numerous (~45 statuses instead of
    // ~85, 1.5× as many commits), which cost about what the fetch it saves did.
    handleBatch: statusHandler(opts.ingest, opts.logger),
    deadLetters: opts.deadLetters.for(STATUS_CONSUMER),
  });
}
