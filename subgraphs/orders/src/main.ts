// First: tracing instruments http, pg and undici as they load (off unless OTEL_* ask for it).
import '@evcs/platform/tracing';
import { readFileSync } from 'node:fs';
import {
  ASSET_EVENTS_PARTITIONS,
  ASSET_EVENTS_TOPIC,
  ASSET_EVENTS_TOPIC_CONFIG,
  CHARGER_COMMANDS_PARTITIONS,
  CHARGER_COMMANDS_TOPIC,
  CHARGER_EVENTS_PARTITIONS,
  CHARGER_EVENTS_TOPIC,
  ORDER_EVENTS_PARTITIONS,
  ORDER_EVENTS_TOPIC,
  PAYMENT_EVENTS_PARTITIONS,
  PAYMENT_EVENTS_TOPIC,
} from '@evcs/events';
import { importSigningKey, runSubgraphMain, ServiceGraphQLClient, SubgraphRuntime, TokenIssuer } from '@evcs/platform';
import { AssetsChargerDirectory } from './clients/assets-directory';
import { TariffsPricer } from './clients/tariffs-pricer';
import { ProjectedChargerDirectory } from './domain/projected-chargers';
import { ASSET_EVENTS_CONSUMER, startAssetEventsConsumer } from './events/asset-events-consumer';
import { CHARGER_EVENTS_CONSUMER, startChargerEventsConsumer } from './events/charger-events-consumer';
import { PAYMENT_EVENTS_CONSUMER, startPaymentEventsConsumer } from './events/payment-events-consumer';
import { runScheduledWork } from './jobs/scheduler';
import { PgChargerProjection } from './persistence/charger-projection';
import { PgJobsStore } from './persistence/jobs-store';
import { createOrdersServer, createReconciliationService, createSessionService } from './server';
import { OrdersEnv, type OrdersEnvValues } from './env';

type Clients = Awaited<ReturnType<typeof clients>>;

async function clients(env: OrdersEnvValues) {
  const tokens = new TokenIssuer(await importSigningKey(readFileSync(env.ORDERS_SIGNING_KEY_FILE, 'utf8')), 'evcs-orders');
  return {
    timezone: env.RECONCILIATION_TIMEZONE,
    chargerSource: env.ORDERS_CHARGER_SOURCE,
    chargers: new AssetsChargerDirectory(new ServiceGraphQLClient({ url: env.ASSETS_URL, tokens, subject: 'orders' })),
    pricer: new TariffsPricer(new ServiceGraphQLClient({ url: env.TARIFFS_URL, tokens, subject: 'orders', timeoutMs: 3_000 })),
  };
}

// The API's and the consumers' transactions wake the relay after they enqueue. Chargers are read
// from orders' own projection (asset events), assets asked only for one not projected yet.
const deps = (rt: SubgraphRuntime, c: Clients) => ({
  ...rt,
  ...c,
  chargers: c.chargerSource === 'assets' ? c.chargers : new ProjectedChargerDirectory(new PgChargerProjection(rt.knex), c.chargers),
  onEnqueued: () => rt.outbox?.wake(),
});

runSubgraphMain({
  name: 'orders',
  defaultPort: 4004,
  env: OrdersEnv,
  shared: clients,
  outbox: {
    topics: [
      { topic: CHARGER_COMMANDS_TOPIC, partitions: CHARGER_COMMANDS_PARTITIONS },
      { topic: ORDER_EVENTS_TOPIC, partitions: ORDER_EVENTS_PARTITIONS },
    ],
  },
  consumes: [
    { topic: ASSET_EVENTS_TOPIC, partitions: ASSET_EVENTS_PARTITIONS, config: ASSET_EVENTS_TOPIC_CONFIG },
    { topic: CHARGER_EVENTS_TOPIC, partitions: CHARGER_EVENTS_PARTITIONS },
    { topic: PAYMENT_EVENTS_TOPIC, partitions: PAYMENT_EVENTS_PARTITIONS },
  ],
  deadLetters: {},
  consumers: async (rt, _env, c) => [
    await startAssetEventsConsumer({
      bus: rt.bus,
      projection: new PgChargerProjection(rt.knex),
      deadLetters: rt.deadLetters!,
      topic: rt.names.topic(ASSET_EVENTS_TOPIC),
      groupId: rt.names.group(ASSET_EVENTS_CONSUMER),
    }),
    await startChargerEventsConsumer({
      bus: rt.bus,
      sessions: createSessionService(deps(rt, c)),
      deadLetters: rt.deadLetters!,
      topic: rt.names.topic(CHARGER_EVENTS_TOPIC),
      groupId: rt.names.group(CHARGER_EVENTS_CONSUMER),
    }),
    await startPaymentEventsConsumer({
      bus: rt.bus,
      sessions: createSessionService(deps(rt, c)),
      deadLetters: rt.deadLetters!,
      topic: rt.names.topic(PAYMENT_EVENTS_TOPIC),
      groupId: rt.names.group(PAYMENT_EVENTS_CONSUMER),
    }),
  ],
  jobs: [
    {
      name: 'expire-starts-and-reconcile',
      everyMs: 60_000,
      firstAfterMs: 1_000,
      run: (rt, _env, c, signal) =>
        runScheduledWork(
          {
            jobs: new PgJobsStore(rt.knex),
            logger: rt.logger,
            sessions: createSessionService(deps(rt, c)),
            recon: createReconciliationService(deps(rt, c)),
            timezone: c.timezone,
          },
          signal,
        ),
    },
  ],
  createServer: (rt, _env, c) => createOrdersServer(deps(rt, c)),
});
