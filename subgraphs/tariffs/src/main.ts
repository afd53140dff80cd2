// First: tracing instruments http, pg and undici as they load (off unless OTEL_* ask for it).
import '@evcs/platform/tracing';
import { randomUUID } from 'node:crypto';
import { TARIFF_EVENTS_PARTITIONS, TARIFF_EVENTS_TOPIC } from '@evcs/events';
import { readFileSync } from 'node:fs';
import { importSigningKey, runSubgraphMain, ServiceGraphQLClient, TokenIssuer } from '@evcs/platform';
import { AssetsChargerLookup, TARIFFS_TOKEN_ISSUER } from './clients/assets-chargers';
import { OrdersCompletedSessions } from './clients/orders-sessions';
import { PlanCache } from './domain/plan-cache';
import { startCacheInvalidation } from './events/cache-invalidation';
import { createTariffsServer } from './server';
import { TariffsEnv } from './env';

// One cache per process, shared by the pricing service and the consumer that invalidates it.
const cache = new PlanCache();
const instanceId = `${process.pid}-${randomUUID().slice(0, 8)}`;

runSubgraphMain({
  name: 'tariffs',
  defaultPort: 4003,
  env: TariffsEnv,
  outbox: { topics: [{ topic: TARIFF_EVENTS_TOPIC, partitions: TARIFF_EVENTS_PARTITIONS }], idleMs: 250 },
  consumes: [{ topic: TARIFF_EVENTS_TOPIC, partitions: TARIFF_EVENTS_PARTITIONS }],
  consumers: async ({ bus, logger, names }) => {
    // Its own group per instance: every instance must see every change.
    const sub = await startCacheInvalidation({
      bus,
      cache,
      logger,
      topic: names.topic(TARIFF_EVENTS_TOPIC),
      groupId: names.group(`tariffs-cache-${instanceId}`),
    });
    await sub.ready;
    return [sub];
  },
  createServer: async (rt, env) => {
    const tokens = new TokenIssuer(await importSigningKey(readFileSync(env.TARIFFS_SIGNING_KEY_FILE, 'utf8')), TARIFFS_TOKEN_ISSUER);
    const chargers = new AssetsChargerLookup(new ServiceGraphQLClient({ url: env.ASSETS_URL, tokens, subject: 'tariffs', timeoutMs: 3_000 }));
    // a page of a busy station's sessions is a few hundred kilobytes: more time than a lookup
    const sessions = new OrdersCompletedSessions(new ServiceGraphQLClient({ url: env.ORDERS_URL, tokens, subject: 'tariffs', timeoutMs: 15_000 }));
    return createTariffsServer({ ...rt, cache, chargers, sessions, onCommitted: () => rt.outbox?.wake() });
  },
});
