// First: tracing instruments http, pg and undici as they load (off unless OTEL_* ask for it).
import '@evcs/platform/tracing';
import { readFile } from 'node:fs/promises';
import { ASSET_EVENTS_PARTITIONS, ASSET_EVENTS_TOPIC, ASSET_EVENTS_TOPIC_CONFIG, CHARGER_EVENTS_PARTITIONS, CHARGER_EVENTS_TOPIC } from '@evcs/events';
import { importSigningKey, runSubgraphMain, ServiceGraphQLClient, TokenIssuer } from '@evcs/platform';
import { ASSETS_TOKEN_ISSUER, HttpTenantQuotas } from './clients/tenant-quotas';
import { StatusIngestService } from './domain/status-ingest';
import { STATUS_CONSUMER, startStatusConsumer } from './events/status-consumer';
import { PgFleetCounts } from './persistence/fleet-counts';
import { PgStatusStore } from './persistence/status-store';
import { createAssetsServer } from './server';
import { AssetsEnv } from './env';

runSubgraphMain({
  name: 'assets',
  defaultPort: 4002,
  env: AssetsEnv,
  // Charger registrations (orders keeps a projection of them).
  outbox: { topics: [{ topic: ASSET_EVENTS_TOPIC, partitions: ASSET_EVENTS_PARTITIONS, config: ASSET_EVENTS_TOPIC_CONFIG }] },
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
    const fleet = new PgFleetCounts(rt.knex);
    rt.business.observeFleet(() => fleet.counts());
    const key = await importSigningKey(await readFile(env.ASSETS_SIGNING_KEY_FILE, 'utf8'));
    const quotas = new HttpTenantQuotas(
      new ServiceGraphQLClient({ url: env.TENANTS_URL, tokens: new TokenIssuer(key, ASSETS_TOKEN_ISSUER), subject: 'assets', timeoutMs: 3_000 }),
    );
    return createAssetsServer({ ...rt, quotas, onPublished: () => rt.outbox?.wake() });
  },
});
