import { z } from 'zod';
import { ACCESS_EVENTS_PARTITIONS, ACCESS_EVENTS_TOPIC, ACCESS_EVENTS_TOPIC_CONFIG, IDTAG_EVENTS_PARTITIONS, IDTAG_EVENTS_TOPIC } from '@evcs/events';
import { OutboxRelay, parseEnv, PgOutbox, runSubgraphMain } from '@evcs/platform';
import { KeyRing } from './auth/key-ring';
import { createTenantsServer } from './server';

const Env = z.object({
  AUTH_SIGNING_KEYS_FILE: z.string({ required_error: 'path to the private JWKs that sign access tokens ({"keys": [...]}, first signs)' }).min(1),
});

runSubgraphMain({
  name: 'tenants',
  defaultPort: 4001,
  createServer: async (rt) => {
    const env = parseEnv(Env);
    return createTenantsServer({ ...rt, keys: await KeyRing.load(env.AUTH_SIGNING_KEYS_FILE) });
  },
  // Not a consumer: the relay publishing the outbox (access revocations, id-tag changes) beside the HTTP server.
  // It doesn't hold up the start: sign-in works without Kafka, revocations wait in the outbox.
  startConsumers: async (rt) => {
    const relay = new OutboxRelay({
      outbox: new PgOutbox(rt.knex, 'tenants'),
      bus: rt.bus,
      names: rt.names,
      logger: rt.logger,
      prepare: () =>
        rt.bus.ensureTopics([
          { topic: rt.names.topic(ACCESS_EVENTS_TOPIC), partitions: ACCESS_EVENTS_PARTITIONS, config: ACCESS_EVENTS_TOPIC_CONFIG },
          { topic: rt.names.topic(IDTAG_EVENTS_TOPIC), partitions: IDTAG_EVENTS_PARTITIONS },
        ]),
    });
    relay.start();
    return [{ ready: Promise.resolve(), stop: () => relay.stop() }];
  },
});
