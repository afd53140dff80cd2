// First: tracing instruments http, pg and undici as they load (off unless OTEL_* ask for it).
import '@evcs/platform/tracing';
import { ORDER_EVENTS_PARTITIONS, ORDER_EVENTS_TOPIC, PAYMENT_EVENTS_PARTITIONS, PAYMENT_EVENTS_TOPIC } from '@evcs/events';
import { runSubgraphMain, SubgraphRuntime } from '@evcs/platform';
import { channelsFromEnv, PaymentsEnv } from './config';
import { ORDER_CONSUMER, startOrderConsumer } from './events/order-consumer';
import { PgPaymentStore } from './persistence/payment-store';
import { createPaymentService, createPaymentsServer, PaymentsDeps } from './server';

type Env = PaymentsEnv & { PORT: number };
type Channels = ReturnType<typeof channelsFromEnv>;

const serviceDeps = (rt: SubgraphRuntime, env: Env, channels: Channels): Omit<PaymentsDeps, 'verifier'> => ({
  ...rt,
  channels,
  merchantTenantId: env.PAYMENTS_MERCHANT_TENANT_ID,
  publicBaseUrl: env.PAYMENTS_PUBLIC_URL ?? `http://127.0.0.1:${env.PORT}`,
});

runSubgraphMain({
  name: 'payments',
  defaultPort: 4005,
  env: PaymentsEnv,
  // one set of channels (and their circuit breakers) for the API and the jobs
  shared: (env, logger) => {
    const channels = channelsFromEnv(env);
    logger.info({ channels: Object.keys(channels) }, 'payment channels configured');
    return { channels, close: () => Object.values(channels).forEach((c) => c?.shutdown()) };
  },
  outbox: { topics: [{ topic: PAYMENT_EVENTS_TOPIC, partitions: PAYMENT_EVENTS_PARTITIONS }] },
  consumes: [{ topic: ORDER_EVENTS_TOPIC, partitions: ORDER_EVENTS_PARTITIONS }],
  deadLetters: {},
  consumers: async ({ bus, knex, names, deadLetters }) => [
    await startOrderConsumer({
      bus,
      store: new PgPaymentStore(knex),
      deadLetters: deadLetters!,
      topic: names.topic(ORDER_EVENTS_TOPIC),
      groupId: names.group(ORDER_CONSUMER),
    }),
  ],
  jobs: [
    {
      // payments still open at the channel after PAYMENT_SETTLE_AFTER_MS: a lost notification
      name: 'settle',
      everyMs: (env) => env.PAYMENT_SETTLE_INTERVAL_MS,
      run: (rt, env, { channels }) =>
        createPaymentService(serviceDeps(rt, env, channels)).settleDue(env.PAYMENT_SETTLE_AFTER_MS, { expireAfterMs: env.PAYMENT_EXPIRE_AFTER_MS }),
    },
    {
      name: 'statements',
      everyMs: (env) => env.PAYMENT_STATEMENT_INTERVAL_MS,
      run: async (rt, env, { channels }) => {
        const r = await createPaymentService(serviceDeps(rt, env, channels)).reconcileYesterday();
        if (r.runs) rt.logger.info(r, 'statements reconciled');
      },
    },
  ],
  createServer: (rt, env, { channels }) => createPaymentsServer({ ...serviceDeps(rt, env, channels), verifier: rt.verifier }),
});
