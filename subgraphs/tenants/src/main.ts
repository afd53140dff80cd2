// First: tracing instruments http, pg and undici as they load (off unless OTEL_* ask for it).
import '@evcs/platform/tracing';
import { ACCESS_EVENTS_PARTITIONS, ACCESS_EVENTS_TOPIC, ACCESS_EVENTS_TOPIC_CONFIG, IDTAG_EVENTS_PARTITIONS, IDTAG_EVENTS_TOPIC } from '@evcs/events';
import { runSubgraphMain } from '@evcs/platform';
import { KeyRing } from './auth/key-ring';
import { createTenantsServer } from './server';
import { TenantsEnv } from './env';

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
