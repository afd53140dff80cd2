import type { EventBus, ReceivedMessage } from '../bus';
import { isUuid } from '../ids';
import type { Logger } from '../logger';
import type { DeadLetterStore } from './store';

/** A permanent failure (classifyFailure), as stored and published with its message. */
export interface DeadLetterReason {
  reason: string;
  message: string;
}

/** Where one consumer's messages that can never be handled go (SubscribeOptions.deadLetters). */
export interface DeadLetterSink {
  /** The consumer's stable name, stored with each dead letter: a replay finds its handler by it. */
  readonly consumer: string;
  /** Keep the message and why (idempotent per message), publish it to the dead-letter topic, count it. */
  record(message: ReceivedMessage, failure: DeadLetterReason): Promise<void>;
}

/** What a counter (evcs_dead_letters_total{consumer,reason}) is told, once per dead letter (not per sighting). */
export interface DeadLetterCounted {
  consumer: string;
  reason: string;
}

/** Headers a dead-lettered message carries on the dead-letter topic, beside its own. */
export const DEAD_LETTER_HEADERS = {
  id: 'dead-letter-id',
  consumer: 'dead-letter-consumer',
  reason: 'dead-letter-reason',
  message: 'dead-letter-message',
  topic: 'dead-letter-topic',
  partition: 'dead-letter-partition',
  offset: 'dead-letter-offset',
} as const;

/**
 * The tenant a message names: its `tenant-id` header (every producer here sets one), else the
 * `tenantId` of its JSON body — both only if they are UUIDs. Null: unattributed.
 */
export function tenantOfMessage(m: Pick<ReceivedMessage, 'headers' | 'value'>): string | null {
  const header = m.headers['tenant-id'];
  if (isUuid(header)) return header.toLowerCase();
  try {
    const body = JSON.parse(m.value?.toString('utf8') ?? '') as { tenantId?: unknown } | null;
    return isUuid(body?.tenantId) ? body.tenantId.toLowerCase() : null;
  } catch {
    return null;
  }
}

/**
 * A service's dead letters: kept in its `<schema>.dead_letters` (the record to list and replay),
 * published to the dead-letter topic (for whatever watches it outside), counted. Storing comes
 * first and is idempotent, so a failure half-way (the topic unreachable) is retried whole by the
 * consumer; a message is published once its row says it was not yet.
 */
export class DeadLetterRecorder {
  private readonly listeners: ((e: DeadLetterCounted) => void)[] = [];
  private readonly counted = new Map<string, number>();

  constructor(
    private readonly opts: {
      store: DeadLetterStore;
      bus: EventBus;
      /** the dead-letter topic, namespaced (evcs.dead-letters.v1 under KAFKA_NAMESPACE) */
      topic: string;
      logger?: Logger;
    },
  ) {}

  /** Told of every new dead letter: the port a metrics counter hangs on. */
  onDeadLetter(listener: (e: DeadLetterCounted) => void): void {
    this.listeners.push(listener);
  }

  /** New dead letters since start, by `consumer/reason`. */
  counts(): Record<string, number> {
    return Object.fromEntries(this.counted);
  }

  for(consumer: string): DeadLetterSink {
    return { consumer, record: (message, failure) => this.record(consumer, message, failure) };
  }

  private async record(consumer: string, m: ReceivedMessage, failure: DeadLetterReason): Promise<void> {
    const tenantId = tenantOfMessage(m);
    const kept = await this.opts.store.record({
      tenantId,
      consumer,
      topic: m.topic,
      partition: m.partition,
      offset: m.offset,
      key: m.key,
      headers: m.headers,
      payload: m.value,
      reasonCode: failure.reason,
      reasonMessage: failure.message,
    });
    if (!kept.published) {
      const H = DEAD_LETTER_HEADERS;
      await this.opts.bus.publish(this.opts.topic, [
        {
          key: m.key ?? consumer,
          value: m.value ?? '',
          headers: {
            ...m.headers,
            [H.id]: kept.id,
            [H.consumer]: consumer,
            [H.reason]: failure.reason,
            [H.message]: failure.message,
            [H.topic]: m.topic,
            [H.partition]: String(m.partition),
            [H.offset]: m.offset,
          },
        },
      ]);
      await this.opts.store.markPublished(tenantId, kept.id);
    }
    // The payload is not logged: it may hold personal data (id tags, VINs). It is in the table.
    this.opts.logger?.error(
      { consumer, topic: m.topic, partition: m.partition, offset: m.offset, reason: failure.reason, deadLetterId: kept.id, tenantId },
      `message dead-lettered: ${failure.message}`,
    );
    if (!kept.fresh) return;
    const key = `${consumer}/${failure.reason}`;
    this.counted.set(key, (this.counted.get(key) ?? 0) + 1);
    for (const l of this.listeners) l({ consumer, reason: failure.reason });
  }
}
