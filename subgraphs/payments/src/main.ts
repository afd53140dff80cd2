// First: tracing instruments http, pg and undici as they load (off unless OTEL_* ask for it).
import '@evcs/platform/tracing';
import { ORDER_EVENTS_PARTITIONS, ORDER_EVENTS_TOPIC, PAYMENT_EVENTS_PARTITIONS, PAYMENT_EVENTS_TOPIC } from '@evcs/events';
import { readFile } from 'node:fs/promises';
import { importSigningKey, runSubgraphMain, ServiceGraphQLClient, SubgraphRuntime, TokenIssuer } from '@evcs/platform';
import { HttpOrderLookup, PAYMENTS_TOKEN_ISSUER } from './clients/orders-lookup';
import { channelsFromEnv, PaymentsEnv } from './config';
import { ORDER_CONSUMER, startOrderConsumer } from './events/order-consumer';
import { PgPaymentStore } from './persistence/payment-store';
import { createPaymentService, createPaymentsServer, PaymentsDeps } from './server';

type Env = PaymentsEnv & { PORT: number };
type Shared = { channels: ReturnType<typeof channelsFromEnv>; orders: HttpOrderLookup };

const serviceDeps = (rt: SubgraphRuntime, env: Env, { channels, orders }: Shared): Omit<PaymentsDeps, 'verifier'> => ({
  ...rt,
  channels,
  orders,
  orderFacts: orders,
  merchantTenantId: env.PAYMENTS_MERCHANT_TENANT_ID,
  publicBaseUrl: env.PAYMENTS_PUBLIC_URL ?? `http://127.0.0.1:${env.PORT}`,
});

runSubgraphMain({
  name: 'payments',
  defaultPort: 4005,
  env: PaymentsEnv,
  // one set of channels (and their circuit breakers) for the API and the jobs
  shared: async (env, logger) => {
    const tokens = new TokenIssuer(await importSigningKey(await readFile(env.PAYMENTS_SIGNING_KEY_FILE, 'utf8')), PAYMENTS_TOKEN_ISSUER);
    const channels = channelsFromEnv(env);
    logger.info({ channels: Object.keys(channels) }, 'payment channels configured');
    // orders is asked for a payable order whose event has not arrived yet (createPayment), and
    // handed payment and refund successes as they commit (the order reads PAID/REFUNDED at once)
    const orders = new HttpOrderLookup(new ServiceGraphQLClient({ url: env.ORDERS_URL, tokens, subject: 'payments', timeoutMs: 3_000 }));
    return { channels, orders, close: () => Object.values(channels).forEach((c) => c?.shutdown()) };
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
      run: (rt, env, shared) =>
        createPaymentService(serviceDeps(rt, env, shared)).settleDue(env.PAYMENT_SETTLE_AFTER_MS, { expireAfterMs: env.PAYMENT_EXPIRE_AFTER_MS }),
    },
    {
      name: 'statements',
      everyMs: (env) => env.PAYMENT_STATEMENT_INTERVAL_MS,
      run: async (rt, env, shared) => {
        const r = await createPaymentService(serviceDeps(rt, env, shared)).reconcileYesterday();
        if (r.runs) rt.logger.info(r, 'statements reconciled');
      },
    },
  ],
  createServer: (rt, env, shared) => createPaymentsServer({ ...serviceDeps(rt, env, shared), verifier: rt.verifier }),
});
