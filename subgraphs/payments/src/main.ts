import { ORDER_EVENTS_PARTITIONS, ORDER_EVENTS_TOPIC, PAYMENT_EVENTS_PARTITIONS, PAYMENT_EVENTS_TOPIC } from '@evcs/events';
import { OutboxRelay, parseEnv, PgOutbox, runSubgraphMain } from '@evcs/platform';
import { channelsFromEnv, PaymentsEnv } from './config';
import { startOrderConsumer } from './events/order-consumer';
import { PgPaymentStore } from './persistence/payment-store';
import { createPaymentsServer } from './server';

runSubgraphMain({
  name: 'payments',
  defaultPort: 4005,
  startConsumers: async ({ bus, knex, logger, names }) => {
    const topic = names.topic(ORDER_EVENTS_TOPIC);
    await bus.ensureTopics([
      { topic, partitions: ORDER_EVENTS_PARTITIONS },
      { topic: names.topic(PAYMENT_EVENTS_TOPIC), partitions: PAYMENT_EVENTS_PARTITIONS },
    ]);
    return [await startOrderConsumer({ bus, store: new PgPaymentStore(knex), logger, topic, groupId: names.group('payments-orders') })];
  },
  createServer: async (rt) => {
    const env = parseEnv(PaymentsEnv);
    const channels = channelsFromEnv(env);
    rt.logger.info({ channels: Object.keys(channels) }, 'payment channels configured');
    const srv = await createPaymentsServer({ ...rt, channels, merchantTenantId: env.PAYMENTS_MERCHANT_TENANT_ID, publicBaseUrl: env.PAYMENTS_PUBLIC_URL ?? `http://127.0.0.1:${process.env.PORT ?? 4005}` });
    const relay = new OutboxRelay({ outbox: new PgOutbox(rt.knex, 'payments'), bus: rt.bus, names: rt.names, logger: rt.logger });
    relay.start();
    const settle = setInterval(() => {
      srv.service.settleDue(env.PAYMENT_SETTLE_AFTER_MS, { expireAfterMs: env.PAYMENT_EXPIRE_AFTER_MS }).catch((e: unknown) => rt.logger.warn({ err: e }, 'settlement run failed'));
    }, env.PAYMENT_SETTLE_INTERVAL_MS);
    settle.unref();
    const statements = setInterval(() => {
      srv.service
        .reconcileYesterday()
        .then((r) => r.runs && rt.logger.info(r, 'statements reconciled'))
        .catch((e: unknown) => rt.logger.warn({ err: e }, 'statement reconciliation failed; will retry'));
    }, env.PAYMENT_STATEMENT_INTERVAL_MS);
    statements.unref();
    return {
      ...srv,
      stop: async () => {
        clearInterval(settle);
        clearInterval(statements);
        await srv.stop();
        await relay.stop();
        for (const c of Object.values(channels)) c?.shutdown();
      },
    };
  },
});
