import type { EventBus, KafkaNames, Logger } from '@evcs/platform';
import type { PgOutbox } from '../persistence/outbox';

/**
 * Publishes outbox rows in order, then marks them published. A crash between the
 * two publishes a row again (at-least-once): consumers deduplicate on event id.
 */
export class OutboxRelay {
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;

  constructor(private readonly o: { outbox: PgOutbox; bus: EventBus; names: KafkaNames; logger: Logger; batch?: number }) {}

  async runOnce(): Promise<number> {
    let total = 0;
    for (;;) {
      const rows = await this.o.outbox.pending(this.o.batch ?? 100);
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

  /** Poll every `intervalMs`; one run at a time. */
  start(intervalMs = 500): void {
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.runOnce()
        .catch((e: unknown) => {
          this.o.logger.warn({ err: e }, 'outbox relay run failed; will retry');
          return 0;
        })
        .finally(() => (this.running = undefined));
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
