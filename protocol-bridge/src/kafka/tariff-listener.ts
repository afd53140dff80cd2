import { decodeTariffEvent, TARIFF_EVENTS_PARTITIONS, type TariffEvent } from '@evcs/events';
import type { EventBus, Logger, Subscription } from '@evcs/platform';

export interface TariffListenerOptions {
  bus: EventBus;
  topic: string;
  /** One group per bridge instance: every instance must hear every change (its own piles). */
  groupId: string;
  /** Push the platform's current models to this tenant's piles connected here. */
  push(tenantId: string): Promise<{ pushed: number; current: number; failed: number }>;
  logger: Logger;
  /** Versions taking effect later are pushed when they do, if that is within this horizon. */
  horizonMs?: number;
  now?: () => Date;
}

export interface TariffListener {
  subscription: Subscription;
  stop(): Promise<void>;
}

/**
 * Tariff changes → YKC piles. A YKC pile prices its sessions itself with the
 * billing model it holds, so when a tenant's plans or bindings change, the
 * piles of that tenant connected to this bridge are sent the new model (0x58)
 * at once — not at their next login. A revision that takes effect later is
 * pushed when it does (a timer; a bridge restarted in between leaves it to the
 * pile's next login and model check, 0x09/0x05, which always get the model in force).
 */
export async function startTariffListener(opts: TariffListenerOptions): Promise<TariffListener> {
  const now = opts.now ?? (() => new Date());
  const horizon = opts.horizonMs ?? 7 * 86_400_000;
  const timers = new Set<NodeJS.Timeout>();
  const push = async (tenantId: string, why: string) => {
    const r = await opts.push(tenantId);
    if (r.pushed || r.failed) opts.logger.info({ tenantId, why, ...r }, 'billing models pushed to YKC piles');
  };
  await opts.bus.ensureTopics([{ topic: opts.topic, partitions: TARIFF_EVENTS_PARTITIONS }]);
  const subscription = await opts.bus.subscribe({
    groupId: opts.groupId,
    topics: [opts.topic],
    handleBatch: async (messages) => {
      const tenants = new Set<string>();
      for (const m of messages) {
        let event: TariffEvent;
        try {
          event = decodeTariffEvent(m.value);
        } catch (e) {
          opts.logger.warn({ err: e, offset: m.offset, partition: m.partition }, 'skipping an invalid tariff event');
          continue;
        }
        tenants.add(event.tenantId);
        const from = event.type === 'tariff.plan_changed' && event.data.effectiveFrom ? Date.parse(event.data.effectiveFrom) : NaN;
        const wait = from - now().getTime();
        if (wait > 0 && wait <= horizon) {
          const timer = setTimeout(() => {
            timers.delete(timer);
            push(event.tenantId, 'revision took effect').catch((err: unknown) =>
              opts.logger.error({ err, tenantId: event.tenantId }, 'billing model push failed'),
            );
          }, wait);
          timer.unref();
          timers.add(timer);
        }
      }
      // A pile that can't be reached now gets the model at its next login: nothing to retry here.
      await Promise.all(
        [...tenants].map((t) => push(t, 'tariff changed').catch((err: unknown) => opts.logger.error({ err, tenantId: t }, 'billing model push failed'))),
      );
    },
  });
  // Changes published once start() has resolved are heard (the group starts at the log's end).
  await subscription.ready;
  return {
    subscription,
    stop: async () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await subscription.stop();
    },
  };
}
