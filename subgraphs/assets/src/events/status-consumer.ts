import { CHARGER_EVENTS_TOPIC, ChargerEvent, decodeChargerEvent } from '@evcs/events';
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
 * Charger events → connector status, a call's worth at a time (one partition, in order).
 * Consecutive events of one tenant are applied in one transaction, their connector statuses
 * set-based (a constant number of statements per run); if that fails, they are applied again
 * one by one. What still fails is thrown, and the subscription settles it: an
 * event that can never be applied (a malformed one, a refusal for good) is dead-lettered —
 * blocking the partition would stop every charger behind it — and a retriable failure is
 * retried. The store makes replays no-ops; the dead-letter replay calls this same handler.
 */
export function statusHandler(ingest: StatusIngestService, logger: Logger): MessageHandler {
  return async (messages) => {
    const events = messages.map((m) => decodeChargerEvent(m.value));
    const outcomes = await applyTenantRuns<ChargerEvent, Outcome>(
      events,
      (tenantId, run) => ingest.applyRun(tenantId, run),
      (event) => ingest.apply(event),
    );
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
    // A charger's events share a partition, and the work is per charger: partitions can go side by side.
    partitionsConcurrently: 6,
    // A call is a constant number of statements whatever its length (set-based): larger calls
    // mean fewer transactions and offset commits; 500 applied that way still take well under
    // the session timeout.
    maxMessagesPerCall: 500,
    handleBatch: statusHandler(opts.ingest, opts.logger),
    deadLetters: opts.deadLetters.for(STATUS_CONSUMER),
  });
}
