import { ASSET_EVENTS_TOPIC, decodeAssetEvent, type AssetEvent } from '@evcs/events';
import type { DeadLetterRecorder, EventBus, MessageHandler, Subscription } from '@evcs/platform';
import type { ChargerProjectionStore, ChargerSnapshot } from '../domain/ports';

/** The consumer's stable name: its group (within the namespace) and the name its dead letters carry. */
export const ASSET_EVENTS_CONSUMER = 'orders-charger-projection';

const snapshotOf = (e: AssetEvent): ChargerSnapshot => ({ ...e.data, retired: e.type === 'charger.retired' });

/**
 * Asset events → orders' charger projection. Exactly once in effect without an inbox: a
 * snapshot replaces only an older revision of its charger, so a replay, a duplicate or a copy
 * arriving late changes nothing. A call's events are applied per tenant, one statement each.
 */
export function assetEventsHandler(projection: ChargerProjectionStore): MessageHandler {
  return async (messages) => {
    const byTenant = new Map<string, ChargerSnapshot[]>();
    for (const m of messages) {
      const e = decodeAssetEvent(m.value);
      const list = byTenant.get(e.tenantId);
      if (list) list.push(snapshotOf(e));
      else byTenant.set(e.tenantId, [snapshotOf(e)]);
    }
    for (const [tenantId, snapshots] of byTenant) await projection.apply(tenantId, snapshots);
  };
}

export async function startAssetEventsConsumer(opts: {
  bus: EventBus;
  projection: ChargerProjectionStore;
  deadLetters: DeadLetterRecorder;
  topic?: string;
  groupId: string;
  fromBeginning?: boolean;
}): Promise<Subscription> {
  return opts.bus.subscribe({
    groupId: opts.groupId,
    topics: [opts.topic ?? ASSET_EVENTS_TOPIC],
    // A new group reads the whole topic: the projection is built from every registration.
    fromBeginning: opts.fromBeginning ?? true,
    handleBatch: assetEventsHandler(opts.projection),
    deadLetters: opts.deadLetters.for(ASSET_EVENTS_CONSUMER),
  });
}
