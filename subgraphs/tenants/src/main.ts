// First: tracing instruments http, pg and undici as they load (off unless OTEL_* ask for it).
import '@evcs/platform/tracing';
import { z } from 'zod';
import { ACCESS_EVENTS_PARTITIONS, ACCESS_EVENTS_TOPIC, ACCESS_EVENTS_TOPIC_CONFIG, IDTAG_EVENTS_PARTITIONS, IDTAG_EVENTS_TOPIC } from '@evcs/events';
import { runSubgraphMain } from '@evcs/platform';
import { KeyRing } from './auth/key-ring';
import { createTenantsServer } from './server';

/** What tenants needs beyond every subgraph's environment (see runSubgraphMain). */
const TenantsEnv = z.object({
  AUTH_SIGNING_KEYS_FILE: z.string({ required_error: 'path to the private JWKs that sign access tokens ({"keys": [...]}, first signs)' }).min(1),
});

runSubgraphMain({
  name: 'tenants',
  defaultPort: 4001,
  env: TenantsEnv,
  // Access revocations and id-tag changes. The relay doesn't hold up the start: sign-in works
  // without Kafka, revocations wait in the outbox.
  outbox: {
    topics: [
      { topic: ACCESS_EVENTS_TOPIC, partitions: ACCESS_EVENTS_PARTITIONS, config: ACCESS_EVENTS_TOPIC_CONFIG },
      { topic: IDTAG_EVENTS_TOPIC, partitions: IDTAG_EVENTS_PARTITIONS },
    ],
  },
  createServer: async (rt, env) => createTenantsServer({ ...rt, keys: await KeyRing.load(env.AUTH_SIGNING_KEYS_FILE) }),
});
