import type { EventBus, KafkaNames, Logger } from '@evcs/platform';
import type { PgOutbox } from '../persistence/outbox';

export interface OutboxRelayOptions {
  outbox: PgOutbox;
  bus: EventBus;
  names: KafkaNames;
  logger: Logger;
  batch?: number;
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

  constructor(private readonly o: OutboxRelayOptions) {}

  /** Publish everything pending; returns how many rows went out. */
  async runOnce(): Promise<number> {
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

  /** Poll every `intervalMs`, one run at a time; failures are logged and retried on the next tick. */
  start(intervalMs = 100): void {
    const tick = () => {
      if (this.stopped) return;
      this.running = this.runOnce()
        .catch((e: unknown) => {
          this.o.logger.error({ err: e }, 'tenants outbox relay run failed; retrying');
          return 0;
        })
        .finally(() => {
          this.running = undefined;
          if (!this.stopped) {
            this.timer = setTimeout(tick, intervalMs);
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
