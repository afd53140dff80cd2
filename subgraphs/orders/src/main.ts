import { readFileSync } from 'node:fs';
import { z } from 'zod';
import {
  CHARGER_COMMANDS_PARTITIONS,
  CHARGER_COMMANDS_TOPIC,
  CHARGER_EVENTS_PARTITIONS,
  CHARGER_EVENTS_TOPIC,
  ORDER_EVENTS_PARTITIONS,
  ORDER_EVENTS_TOPIC,
  PAYMENT_EVENTS_PARTITIONS,
  PAYMENT_EVENTS_TOPIC,
} from '@evcs/events';
import { importSigningKey, isTimeZone, OutboxRelay, parseEnv, PgOutbox, runSubgraphMain, ServiceGraphQLClient, TokenIssuer } from '@evcs/platform';
import { AssetsChargerDirectory } from './clients/assets-directory';
import { TariffsPricer } from './clients/tariffs-pricer';
import { startChargerEventsConsumer } from './events/charger-events-consumer';
import { startPaymentEventsConsumer } from './events/payment-events-consumer';
import { startScheduler } from './jobs/scheduler';
import { PgJobsStore } from './persistence/jobs-store';
import { createOrdersServer, createReconciliationService, createSessionService } from './server';

const Env = z.object({
  ASSETS_URL: z.string().url().default('http://127.0.0.1:4002/graphql'),
  TARIFFS_URL: z.string().url().default('http://127.0.0.1:4003/graphql'),
  RECONCILIATION_TIMEZONE: z.string().default('Asia/Shanghai'),
  ORDERS_SIGNING_KEY_FILE: z.string({ required_error: "path to the orders service's private JWK (service tokens)" }).min(1),
});

// The outbox relay (run with the consumers); the API's transactions wake it after they enqueue.
let relay: OutboxRelay | undefined;

async function clients() {
  const env = parseEnv(Env);
  if (!isTimeZone(env.RECONCILIATION_TIMEZONE)) throw new Error(`RECONCILIATION_TIMEZONE: not an IANA time zone: ${env.RECONCILIATION_TIMEZONE}`);
  const tokens = new TokenIssuer(await importSigningKey(readFileSync(env.ORDERS_SIGNING_KEY_FILE, 'utf8')), 'evcs-orders');
  return {
    timezone: env.RECONCILIATION_TIMEZONE,
    chargers: new AssetsChargerDirectory(new ServiceGraphQLClient({ url: env.ASSETS_URL, tokens, subject: 'orders' })),
    pricer: new TariffsPricer(new ServiceGraphQLClient({ url: env.TARIFFS_URL, tokens, subject: 'orders', timeoutMs: 3_000 })),
  };
}

runSubgraphMain({
  name: 'orders',
  defaultPort: 4004,
  createServer: async (rt) =>
    createOrdersServer({ ...rt, ...(await clients()), onEnqueued: () => relay?.wake() }),
  startConsumers: async (rt) => {
    const deps = { ...rt, ...(await clients()), onEnqueued: () => relay?.wake() };
    const topic = rt.names.topic(CHARGER_EVENTS_TOPIC);
    await rt.bus.ensureTopics([
      { topic, partitions: CHARGER_EVENTS_PARTITIONS },
      { topic: rt.names.topic(CHARGER_COMMANDS_TOPIC), partitions: CHARGER_COMMANDS_PARTITIONS },
      { topic: rt.names.topic(ORDER_EVENTS_TOPIC), partitions: ORDER_EVENTS_PARTITIONS },
      { topic: rt.names.topic(PAYMENT_EVENTS_TOPIC), partitions: PAYMENT_EVENTS_PARTITIONS },
    ]);
    const payments = await startPaymentEventsConsumer({
      bus: rt.bus,
      sessions: createSessionService(deps),
      logger: rt.logger,
      topic: rt.names.topic(PAYMENT_EVENTS_TOPIC),
      groupId: rt.names.group('orders-payment-events'),
    });
    const events = await startChargerEventsConsumer({ bus: rt.bus, sessions: createSessionService(deps), logger: rt.logger, topic, groupId: rt.names.group('orders-charger-events') });
    relay = new OutboxRelay({ outbox: new PgOutbox(rt.knex, 'orders'), bus: rt.bus, names: rt.names, logger: rt.logger });
    relay.start();
    const started = relay;
    const scheduler = startScheduler({
      jobs: new PgJobsStore(rt.knex),
      logger: rt.logger,
      sessions: createSessionService(deps),
      recon: createReconciliationService(deps),
      timezone: deps.timezone,
    });
    return [
      events,
      payments,
      { ready: Promise.resolve(), stop: () => started.stop() },
      { ready: Promise.resolve(), stop: () => scheduler.stop() },
    ];
  },
});
