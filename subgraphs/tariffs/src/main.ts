import { randomUUID } from 'node:crypto';
import { TARIFF_EVENTS_PARTITIONS, TARIFF_EVENTS_TOPIC } from '@evcs/events';
import { runSubgraphMain } from '@evcs/platform';
import { PlanCache } from './domain/plan-cache';
import { startCacheInvalidation } from './events/cache-invalidation';
import { createTariffsServer } from './server';

// One cache per process, shared by the pricing service and the consumer that invalidates it.
const cache = new PlanCache();
const instanceId = `${process.pid}-${randomUUID().slice(0, 8)}`;

runSubgraphMain({
  name: 'tariffs',
  defaultPort: 4003,
  createServer: (rt) =>
    createTariffsServer({ ...rt, cache, events: { bus: rt.bus, names: rt.names } }),
  startConsumers: async ({ bus, logger, names }) => {
    const topic = names.topic(TARIFF_EVENTS_TOPIC);
    await bus.ensureTopics([{ topic, partitions: TARIFF_EVENTS_PARTITIONS }]);
    // Its own group per instance: every instance must see every change.
    const sub = await startCacheInvalidation({ bus, cache, logger, topic, groupId: names.group(`tariffs-cache-${instanceId}`) });
    await sub.ready;
    return [sub];
  },
});
