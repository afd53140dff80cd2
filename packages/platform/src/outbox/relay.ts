import type { BusMessage, EventBus } from '../bus';
import type { KafkaNames } from '../env';
import type { Logger } from '../logger';
import { observeOutbox } from '../metrics/outbox';
import type { OutboxRow, PgOutbox } from './pg-outbox';
import { outsideTrace } from '../tracing/context';

export interface OutboxRelayOptions {
  outbox: PgOutbox;
  bus: EventBus;
  /** the deployment's namespace, applied to each row's base topic at publish */
  names: KafkaNames;
  logger: Logger;
  /** rows per read (at most 1,000: the pending functions cap it) */
  batch?: number;
  /** how long to wait after a look that found nothing */
  idleMs?: number;
  /** longest wait between attempts while publishing fails */
  maxBackoffMs?: number;
  /**
   * Run before the first publish, and again before each attempt until it has succeeded
   * once (e.g. creating the topics): a service starts without Kafka and its relay catches
   * up when the broker is there.
   */
  prepare?: () => Promise<void>;
}

/**
 * The one outbox relay: publishes what the service's transactions enqueued, in the order
 * it was written, then marks it published. At least once — a crash between publish and
 * mark publishes again, and consumers deduplicate on the message id. A full batch is
 * followed at once by the next; an empty look waits `idleMs`; failures back off
 * exponentially up to `maxBackoffMs`, logged on the first and every 20th.
 */
export class OutboxRelay {
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;
  private stopped = true;
  private prepared = false;
  private failures = 0;
  private again = false;
  private readonly batch: number;
  private unobserve?: () => void;

  constructor(private readonly o: OutboxRelayOptions) {
    this.batch = Math.min(o.batch ?? 500, 1000);
  }

  /** Publish everything pending now; returns how many rows went out. One run at a time. */
  async runOnce(): Promise<number> {
    while (this.running) await this.running.catch(() => undefined);
    this.running = this.publishPending();
    try {
      return await this.running;
    } finally {
      this.running = undefined;
    }
  }

  private async publishPending(): Promise<number> {
    if (!this.prepared && this.o.prepare) await this.o.prepare();
    this.prepared = true;
    let total = 0;
    for (;;) {
      const rows = await this.o.outbox.pending(this.batch);
      if (rows.length === 0) return total;
      const byTopic = new Map<string, OutboxRow[]>();
      for (const r of rows) {
        const list = byTopic.get(r.topic);
        if (list) list.push(r);
        else byTopic.set(r.topic, [r]);
      }
      for (const [topic, list] of byTopic) await this.o.bus.publish(this.o.names.topic(topic), list.map(toMessage));
      await this.o.outbox.markPublished(rows.map((r) => r.id));
      total += rows.length;
      if (rows.length < this.batch) return total;
    }
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.unobserve = observeOutbox(this.o.outbox);
    this.schedule(0);
  }

  /** Publish now rather than at the next poll (e.g. right after a commit that enqueued). */
  wake(): void {
    if (this.stopped || this.failures > 0) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    // A wake() comes from a request; its polls are not part of that request's trace.
    this.timer = setTimeout(() => outsideTrace(() => this.tick()), ms);
    this.timer.unref();
  }

  private tick(): void {
    this.timer = undefined;
    if (this.stopped) return;
    this.again = false;
    this.runOnce()
      .then(() => {
        this.failures = 0;
      })
      .catch((e: unknown) => {
        this.failures++;
        if (this.failures === 1 || this.failures % 20 === 0)
          this.o.logger.error({ err: e, failures: this.failures, schema: this.o.outbox.schema }, 'outbox relay run failed; retrying');
      })
      .finally(() => {
        if (this.stopped || this.timer) return;
        const idle = this.o.idleMs ?? 100;
        this.schedule(this.failures ? Math.min(idle * 2 ** this.failures, this.o.maxBackoffMs ?? 5_000) : this.again ? 0 : idle);
      });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unobserve?.();
    if (this.timer) clearTimeout(this.timer);
    while (this.running) await this.running.catch(() => undefined);
  }
}

function toMessage(r: OutboxRow): BusMessage {
  // Older rows (written before headers were kept) carry none: rebuild the envelope's routing facts.
  const payload = typeof r.payload === 'string' ? r.payload : JSON.stringify(r.payload);
  let headers = r.headers && Object.keys(r.headers).length ? r.headers : null;
  if (!headers) {
    const e = (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload) as { type?: string; version?: number; tenantId?: string };
    headers = {
      'content-type': 'application/json',
      ...(e.type ? { 'event-type': e.type } : {}),
      ...(e.version ? { 'event-version': String(e.version) } : {}),
      ...(e.tenantId ? { 'tenant-id': e.tenantId } : {}),
    };
  }
  return { key: r.key, value: payload, headers };
}
