import { ChargerEvent, ChargerEventOf, ChargerEventType, decodeChargerEvent, InvalidEventError } from '@evcs/events';
import type { EventBus, Logger, Subscription } from '@evcs/platform';

export type ChargerEventHandlers = { [T in ChargerEventType]?: (event: ChargerEventOf<T>) => void };

export interface ChargerEventFeedOptions {
  bus: EventBus;
  topic: string;
  /**
   * Unique per router instance: every instance must see every event, because
   * its subscribers are connected to it alone.
   */
  groupId: string;
  logger: Logger;
  handlers: ChargerEventHandlers;
  /** Skip decoding entirely while nothing listens (e.g. no subscribers connected). */
  isIdle?: () => boolean;
  /** Event ids remembered for deduplicating redeliveries (at-least-once bus). */
  dedupWindow?: number;
}

/**
 * The router's live feed of charger events. It starts at the latest offset (a
 * subscription is a live stream; history is served by queries), drops invalid
 * events with a log line, and hands each valid event to the handler for its
 * type. Handlers only fan out in memory, so a batch never waits on clients.
 */
export function startChargerEventFeed(opts: ChargerEventFeedOptions): Promise<Subscription> {
  const seen = new RecentIds(opts.dedupWindow ?? 10_000);
  const handles = (type: string | undefined) => type === undefined || Object.prototype.hasOwnProperty.call(opts.handlers, type);
  return opts.bus.subscribe({
    groupId: opts.groupId,
    topics: [opts.topic],
    fromBeginning: false,
    handleBatch: async (messages) => {
      for (const m of messages) {
        if (opts.isIdle?.()) continue;
        // The producer duplicates the type into a header; use it to skip events no handler wants without parsing them.
        if (!handles(m.headers['event-type'])) continue;
        let event: ChargerEvent;
        try {
          event = decodeChargerEvent(m.value);
        } catch (e) {
          if (!(e instanceof InvalidEventError)) throw e;
          opts.logger.warn(
            { topic: m.topic, partition: m.partition, offset: m.offset, reason: e.message, raw: e.raw?.slice(0, 2000) },
            'skipping invalid charger event',
          );
          continue;
        }
        const handler = opts.handlers[event.type] as ((e: ChargerEvent) => void) | undefined;
        if (!handler || seen.checkAndAdd(event.id)) continue;
        handler(event);
      }
    },
  });
}

/** A bounded set of recently seen ids (oldest forgotten first). */
export class RecentIds {
  private readonly ids = new Set<string>();
  constructor(private readonly max: number) {}

  /** True if `id` was seen already; otherwise remembers it. */
  checkAndAdd(id: string): boolean {
    if (this.ids.has(id)) return true;
    this.ids.add(id);
    if (this.ids.size > this.max) this.ids.delete(this.ids.values().next().value as string);
    return false;
  }
}
