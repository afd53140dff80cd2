import type { EventBus, KafkaNames, Logger } from '@evcs/platform';
import type { PgOutbox } from '../persistence/outbox';

export interface OutboxRelayOptions {
  outbox: PgOutbox;
  bus: EventBus;
  names: KafkaNames;
  logger: Logger;
  batch?: number;
  /**
   * Run before the first publish, and again before each attempt until it has
   * succeeded once (creating the topic): sign-in must not wait for Kafka, so
   * the service starts without it and the relay catches up when it's there.
   */
  prepare?: () => Promise<void>;
}

/**
 * Publishes the outbox rows (today: access revocations) in the order they were
 * written, then marks them published. At least once: a crash between the two
 * publishes a row again, and consumers deduplicate on the event id (a router
 * applying a revocation twice changes nothing). Until a row is published, the
 * revocation it carries is not in force at the routers: the relay polls often
 * (the query walks a partial index of unpublished rows, so an idle poll is cheap).
 */
export class OutboxRelay {
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;
  private stopped = false;
  private prepared = false;
  private failures = 0;

  constructor(private readonly o: OutboxRelayOptions) {}

  /** Publish everything pending; returns how many rows went out. */
  async runOnce(): Promise<number> {
    if (!this.prepared && this.o.prepare) await this.o.prepare();
    this.prepared = true;
    let total = 0;
    for (;;) {
      const rows = await this.o.outbox.pending(this.o.batch ?? 200);
      if (rows.length === 0) return total;
      const byTopic = new Map<string, typeof rows>();
      for (const r of rows) byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), r]);
      for (const [topic, list] of byTopic) {
        await this.o.bus.publish(
          this.o.names.topic(topic),
          list.map((r) => {
            const e = r.payload as { type: string; version: number; tenantId: string };
            return { key: r.key, value: JSON.stringify(r.payload), headers: { 'content-type': 'application/json', 'event-type': e.type, 'event-version': String(e.version), 'tenant-id': e.tenantId } };
          }),
        );
      }
      await this.o.outbox.markPublished(rows.map((r) => r.id));
      total += rows.length;
    }
  }

  /** Poll every `intervalMs`, one run at a time; failures are logged and retried, backing off to 5 s. */
  start(intervalMs = 100): void {
    const tick = () => {
      if (this.stopped) return;
      this.running = this.runOnce()
        .then((n) => {
          this.failures = 0;
          return n;
        })
        .catch((e: unknown) => {
          this.failures++;
          // Revocations wait while this fails: loud, but not a line every poll.
          if (this.failures === 1 || this.failures % 20 === 0) this.o.logger.error({ err: e, failures: this.failures }, 'tenants outbox relay run failed; retrying');
          return 0;
        })
        .finally(() => {
          this.running = undefined;
          if (!this.stopped) {
            this.timer = setTimeout(tick, this.failures ? Math.min(intervalMs * 2 ** this.failures, 5_000) : intervalMs);
            this.timer.unref();
          }
        });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
