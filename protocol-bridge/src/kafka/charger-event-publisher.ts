import { ChargerEvent, encodeChargerEvent } from '@evcs/events';
import { AppError, BusMessage, ErrorCodes, EventBus, withTraceHeaders } from '@evcs/platform';
import type { ChargerEventPublisher } from '../ports';

export interface BatchingPublisherOptions {
  topic: string;
  lingerMs: number;
  maxBatch: number;
}

interface Pending {
  message: BusMessage;
  resolve(): void;
  reject(e: unknown): void;
}

/**
 * Gathers events from all connections into one produce request at a time.
 * With an idempotent producer each request is a broker round trip, so sending
 * one event per request would cap the bridge at a few hundred events a second;
 * batching keeps the "acknowledge after durable" guarantee at any rate.
 *
 * Order between two events of one charger is the caller's job (a charger's
 * session publishes its next event only after the previous one resolved); the
 * batch keeps the order it was given in.
 */
export class BatchingChargerEventPublisher implements ChargerEventPublisher {
  private queue: Pending[] = [];
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  private closed = false;

  constructor(
    private readonly bus: EventBus,
    private readonly opts: BatchingPublisherOptions,
  ) {}

  publish(event: ChargerEvent): Promise<void> {
    if (this.closed) {
      return Promise.reject(new AppError(ErrorCodes.DEPENDENCY_UNAVAILABLE, 'publisher is closed', { retriable: true }));
    }
    const parsed = ChargerEvent.safeParse(event);
    if (!parsed.success) {
      const reason = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      return Promise.reject(new AppError(ErrorCodes.INVALID_EVENT, `refusing to publish an invalid ${event.type} event: ${reason}`));
    }
    return new Promise<void>((resolve, reject) => {
      const message = encodeChargerEvent(parsed.data);
      // The trace is taken now: the batch goes out later from a timer, outside the caller's context.
      this.queue.push({ message: { ...message, headers: withTraceHeaders(message.headers) }, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.flushing || this.timer) return;
    if (this.queue.length >= this.opts.maxBatch || this.opts.lingerMs <= 0) {
      this.flushing = this.flush();
    } else {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flushing = this.flush();
      }, this.opts.lingerMs);
    }
  }

  private async flush(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.opts.maxBatch);
        try {
          await this.bus.publish(
            this.opts.topic,
            batch.map((p) => p.message),
          );
          for (const p of batch) p.resolve();
        } catch (e) {
          for (const p of batch) p.reject(e);
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    // A flush loops until the queue is empty, including events queued while it ran.
    if (!this.flushing && this.queue.length > 0) this.flushing = this.flush();
    await this.flushing;
  }
}
