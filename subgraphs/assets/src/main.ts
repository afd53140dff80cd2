// First: tracing instruments http, pg and undici as they load (off unless OTEL_* ask for it).
import '@evcs/platform/tracing';
import { readFile } from 'node:fs/promises';
import { CHARGER_EVENTS_PARTITIONS, CHARGER_EVENTS_TOPIC } from '@evcs/events';
import { importSigningKey, runSubgraphMain, ServiceGraphQLClient, TokenIssuer } from '@evcs/platform';
import { z } from 'zod';
import { ASSETS_TOKEN_ISSUER, HttpTenantQuotas } from './clients/tenant-quotas';
import { StatusIngestService } from './domain/status-ingest';
import { STATUS_CONSUMER, startStatusConsumer } from './events/status-consumer';
import { PgStatusStore } from './persistence/status-store';
import { createAssetsServer } from './server';

/** What assets needs beyond every subgraph's environment (see runSubgraphMain). */
const AssetsEnv = z.object({
  /** The tenants subgraph itself (tenantQuotas is @inaccessible through the router). */
  TENANTS_URL: z.string().url().default('http://127.0.0.1:4001/graphql'),
  /** Private JWK the assets service signs its service tokens with. */
  ASSETS_SIGNING_KEY_FILE: z.string({ required_error: 'path to the private JWK the assets service signs service tokens with' }).min(1),
});

runSubgraphMain({
  name: 'assets',
  defaultPort: 4002,
  env: AssetsEnv,
  consumes: [{ topic: CHARGER_EVENTS_TOPIC, partitions: CHARGER_EVENTS_PARTITIONS }],
  deadLetters: {},
  consumers: async ({ bus, knex, logger, names, deadLetters }) => [
    await startStatusConsumer({
      bus,
      ingest: new StatusIngestService(new PgStatusStore(knex)),
      logger,
      deadLetters: deadLetters!,
      topic: names.topic(CHARGER_EVENTS_TOPIC),
      groupId: names.group(STATUS_CONSUMER),
    }),
  ],
  createServer: async (rt, env) => {
    const key = await importSigningKey(await readFile(env.ASSETS_SIGNING_KEY_FILE, 'utf8'));
    const quotas = new HttpTenantQuotas(
      new ServiceGraphQLClient({ url: env.TENANTS_URL, tokens: new TokenIssuer(key, ASSETS_TOKEN_ISSUER), subject: 'assets', timeoutMs: 3_000 }),
    );
    return createAssetsServer({ ...rt, quotas });
  },
});
