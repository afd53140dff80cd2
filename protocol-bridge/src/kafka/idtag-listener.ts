import { decodeIdTagEvent, IDTAG_EVENTS_PARTITIONS, type IdTagChanged } from '@evcs/events';
import type { EventBus, Logger, Subscription } from '@evcs/platform';

export interface IdTagListenerOptions {
  bus: EventBus;
  topic: string;
  /** One group per bridge instance: every instance must hear every change (its own chargers). */
  groupId: string;
  /** A tenant's tags changed: bring its chargers held here up to date. */
  apply(tenantId: string, events: IdTagChanged[]): Promise<void>;
  logger: Logger;
}

export interface IdTagListener {
  subscription: Subscription;
  stop(): Promise<void>;
}

/**
 * Id-tag changes → chargers' OCPP local lists. The group starts at the log's
 * end: a bridge (re)starting catches its chargers up when they connect
 * (GetLocalListVersion), not by replaying history.
 */
export async function startIdTagListener(opts: IdTagListenerOptions): Promise<IdTagListener> {
  await opts.bus.ensureTopics([{ topic: opts.topic, partitions: IDTAG_EVENTS_PARTITIONS }]);
  const subscription = await opts.bus.subscribe({
    groupId: opts.groupId,
    topics: [opts.topic],
    handleBatch: async (messages) => {
      const byTenant = new Map<string, IdTagChanged[]>();
      for (const m of messages) {
        let event: IdTagChanged;
        try {
          event = decodeIdTagEvent(m.value);
        } catch (e) {
          opts.logger.warn({ err: e, offset: m.offset, partition: m.partition }, 'skipping an invalid id-tag event');
          continue;
        }
        byTenant.set(event.tenantId, [...(byTenant.get(event.tenantId) ?? []), event]);
      }
      // A charger that can't be reached now is caught up at its next change or connection: nothing to retry here.
      await Promise.all(
        [...byTenant].map(([tenantId, events]) =>
          opts.apply(tenantId, events).catch((err: unknown) => opts.logger.error({ err, tenantId }, 'local list update failed')),
        ),
      );
    },
  });
  await subscription.ready;
  return { subscription, stop: () => subscription.stop() };
}
