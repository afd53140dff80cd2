import { decodeTariffEvent, InvalidEventError } from '@evcs/events';
import type { EventBus, Logger, Subscription } from '@evcs/platform';
import type { PlanCache } from '../domain/plan-cache';

export interface CacheInvalidationOptions {
  bus: EventBus;
  cache: PlanCache;
  logger: Logger;
  topic: string;
  /** Unique per instance: every instance must see every event. */
  groupId: string;
}

/**
 * Drops this instance's cached plans of a tenant when a tariff event for it
 * arrives. Each instance has its own consumer group starting at the latest
 * offset: a fresh instance has an empty cache, so older events mean nothing to
 * it. Dropping is idempotent, so redelivery is harmless; a malformed event still
 * names its tenant in a header, and that tenant's cache is dropped anyway.
 */
export async function startCacheInvalidation(opts: CacheInvalidationOptions): Promise<Subscription> {
  return opts.bus.subscribe({
    groupId: opts.groupId,
    topics: [opts.topic],
    fromBeginning: false,
    handleBatch: async (messages) => {
      for (const m of messages) {
        try {
          opts.cache.invalidateTenant(decodeTariffEvent(m.value).tenantId);
        } catch (e) {
          if (!(e instanceof InvalidEventError)) throw e;
          const tenant = m.headers['tenant-id'];
          if (tenant) opts.cache.invalidateTenant(tenant);
          opts.logger.warn({ topic: m.topic, partition: m.partition, offset: m.offset, reason: e.message }, 'invalid tariff event');
        }
      }
      await Promise.resolve();
    },
  });
}
