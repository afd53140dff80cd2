import { ASSET_EVENTS_PARTITIONS, ASSET_EVENTS_TOPIC_CONFIG, decodeAssetEvent } from '@evcs/events';
import type { EventBus, Logger, Subscription } from '@evcs/platform';
import type { RegistrationChange } from '../ports';

export interface AssetListenerOptions {
  bus: EventBus;
  topic: string;
  /** One group per bridge instance: every instance caches registrations of its own. */
  groupId: string;
  /** A charger's registration changed: forget what is cached of it. */
  forget(change: RegistrationChange): void;
  /**
   * Then, not awaited (the consumer holds up nothing for it): check a connection the charger has
   * here against its new registration (a revoked or rotated credential drops it).
   */
  recheck?(change: RegistrationChange): Promise<void>;
  logger: Logger;
}

/**
 * Asset events → the charger directory's cache. Without them a charger that tried to connect
 * before an operator created it is refused for the negative TTL after it was created, and a moved
 * charger answers from its old registration until the positive TTL runs out. The group starts
 * at the log's end: a (re)starting bridge has an empty cache, so history means nothing to it.
 */
export async function startAssetListener(opts: AssetListenerOptions): Promise<Subscription> {
  await opts.bus.ensureTopics([{ topic: opts.topic, partitions: ASSET_EVENTS_PARTITIONS, config: ASSET_EVENTS_TOPIC_CONFIG }]);
  const subscription = await opts.bus.subscribe({
    groupId: opts.groupId,
    topics: [opts.topic],
    handleBatch: async (messages) => {
      for (const m of messages) {
        try {
          const e = decodeAssetEvent(m.value);
          const change: RegistrationChange = {
            tenantId: e.tenantId,
            code: e.data.code,
            chargerId: e.data.chargerId,
            retired: e.type === 'charger.retired',
            credentialRevoked: e.data.credentialRevoked === true,
          };
          opts.forget(change);
          if (opts.recheck)
            void opts
              .recheck(change)
              .catch((err: unknown) => opts.logger.warn({ err, ...change }, 'checking a connection against its changed registration failed'));
        } catch (err) {
          // an event that can't be read changes no cache entry: its charger is looked up again when its TTL runs out
          opts.logger.warn({ err, offset: m.offset, partition: m.partition }, 'skipping an invalid asset event');
        }
      }
      await Promise.resolve();
    },
  });
  await subscription.ready;
  return subscription;
}
