import type { EventBus, Knex, Logger } from '@evcs/platform';

export interface OutboxRelayOptions {
  knex: Knex;
  bus: EventBus;
  logger: Logger;
  /** how often to look when the last look found nothing */
  idleMs?: number;
  batch?: number;
}

interface OutboxRow {
  id: string;
  tenant_id: string;
  topic: string;
  key: string;
  payload: unknown;
}

/**
 * Publishes what the orders transactions wrote to the outbox, then marks it
 * published. At least once: a crash between publish and mark publishes again,
 * and consumers (the bridge) deduplicate commands by id. Rows go out in the
 * order they were written, per key.
 */
export function startOutboxRelay(opts: OutboxRelayOptions): { stop(): Promise<void>; drain(): Promise<number> } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;

  async function once(): Promise<number> {
    const { rows } = await opts.knex.raw<{ rows: OutboxRow[] }>('select * from orders.outbox_pending(?)', [opts.batch ?? 500]);
    if (!rows.length) return 0;
    const byTopic = new Map<string, OutboxRow[]>();
    for (const r of rows) byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), r]);
    for (const [topic, list] of byTopic) {
      await opts.bus.publish(
        topic,
        list.map((r) => ({ key: r.key, value: JSON.stringify(r.payload), headers: { 'tenant-id': r.tenant_id } })),
      );
    }
    await opts.knex.raw('select orders.outbox_mark_published(?::uuid[])', [rows.map((r) => r.id)]);
    return rows.length;
  }

  const drain = async (): Promise<number> => {
    while (running) await running.catch(() => undefined);
    running = once();
    try {
      return await running;
    } finally {
      running = undefined;
    }
  };

  const loop = async (): Promise<void> => {
    if (stopped) return;
    let n = 0;
    try {
      n = await drain();
    } catch (e) {
      opts.logger.error({ err: e }, 'outbox relay failed; retrying');
    }
    if (!stopped) timer = setTimeout(() => void loop(), n > 0 ? 0 : (opts.idleMs ?? 200));
  };
  void loop();

  return {
    drain,
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      while (running) await running.catch(() => undefined);
    },
  };
}
