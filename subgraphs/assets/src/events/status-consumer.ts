import { CHARGER_EVENTS_TOPIC, ChargerEvent, decodeChargerEvent, InvalidEventError } from '@evcs/events';
import { applyInTenantRuns, type EventBus, type Logger, type Subscription } from '@evcs/platform';
import type { StatusIngestService } from '../domain/status-ingest';

export interface StatusConsumerOptions {
  bus: EventBus;
  ingest: StatusIngestService;
  logger: Logger;
  groupId?: string;
  topic?: string;
}

/**
 * Consumes charger events and applies them to connector status. Offsets commit
 * only after each call's events are applied (at-least-once); the store makes
 * replays no-ops. Consecutive events of one tenant are applied in one
 * transaction; if that fails, they are applied again one by one (a retriable
 * failure then fails the call, which is retried). A malformed event is logged
 * with its raw value and skipped — it can never become valid by retrying, and
 * blocking the partition would stop every charger behind it.
 */
export async function startStatusConsumer(opts: StatusConsumerOptions): Promise<Subscription> {
  const stats = { applied: 0, duplicate: 0, stale: 0, unknown: 0, invalid: 0, ignored: 0 };
  type Outcome = Awaited<ReturnType<StatusIngestService['apply']>>;
  const count = (event: ChargerEvent, outcome: Outcome) => {
    if (outcome === 'unknown-charger') {
      stats.unknown++;
      opts.logger.warn({ chargerId: event.chargerId, tenantId: event.tenantId, type: event.type }, 'event for unknown charger');
    } else if (outcome === 'ignored') stats.ignored++;
    else if (outcome === 'duplicate') stats.duplicate++;
    else if (outcome === 'stale') stats.stale++;
    else stats.applied++;
  };
  return opts.bus.subscribe({
    groupId: opts.groupId ?? 'assets-status',
    topics: [opts.topic ?? CHARGER_EVENTS_TOPIC],
    fromBeginning: true,
    // A charger's events share a partition, and the work is per charger: partitions can go side by side.
    partitionsConcurrently: 6,
    handleBatch: async (messages) => {
      const events: ChargerEvent[] = [];
      for (const m of messages) {
        try {
          events.push(decodeChargerEvent(m.value));
        } catch (e) {
          if (!(e instanceof InvalidEventError)) throw e;
          stats.invalid++;
          opts.logger.warn(
            { topic: m.topic, partition: m.partition, offset: m.offset, reason: e.message, raw: e.raw?.slice(0, 2000) },
            'skipping invalid charger event',
          );
        }
      }
      const outcomes = await applyInTenantRuns<ChargerEvent, Outcome>(
        events,
        (tenantId, fn) => opts.ingest.inBatch(tenantId, fn),
        (event) => opts.ingest.apply(event),
      );
      events.forEach((event, k) => count(event, outcomes[k]));
    },
  });
}
