// First: tracing instruments http, pg and undici as they load (off unless OTEL_* ask for it).
import '@evcs/platform/tracing';
import { readFile } from 'node:fs/promises';
import {
  ASSET_EVENTS_PARTITIONS,
  ASSET_EVENTS_TOPIC,
  ASSET_EVENTS_TOPIC_CONFIG,
  CHARGER_COMMANDS_PARTITIONS,
  CHARGER_COMMANDS_TOPIC,
  CHARGER_EVENTS_PARTITIONS,
  CHARGER_EVENTS_TOPIC,
  COMMAND_UPDATES_PARTITIONS,
  COMMAND_UPDATES_TOPIC,
} from '@evcs/events';
import { importSigningKey, runSubgraphMain, ServiceGraphQLClient, TokenIssuer } from '@evcs/platform';
import { ASSETS_TOKEN_ISSUER, HttpTenantQuotas } from './clients/tenant-quotas';
import { StatusIngestService } from './domain/status-ingest';
import { STATUS_CONSUMER, startStatusConsumer } from './events/status-consumer';
import { PgFleetCounts } from './persistence/fleet-counts';
import { PgStatusStore } from './persistence/status-store';
import { COMMANDS_CONSUMER, startCommandConsumer } from './events/command-consumer';
import { commandServiceOf, createAssetsServer } from './server';
import { AssetsEnv, diagnosticsUploadsOf } from './env';

runSubgraphMain({
  name: 'assets',
  defaultPort: 4002,
  env: AssetsEnv,
  consumes: [{ topic: CHARGER_EVENTS_TOPIC, partitions: CHARGER_EVENTS_PARTITIONS }],
  deadLetters: {},
  // charger registrations (orders keeps a projection of them), charger commands out, and their
  // lifecycle (the router's chargerCommandUpdated)
  outbox: {
    topics: [
      { topic: ASSET_EVENTS_TOPIC, partitions: ASSET_EVENTS_PARTITIONS, config: ASSET_EVENTS_TOPIC_CONFIG },
      { topic: CHARGER_COMMANDS_TOPIC, partitions: CHARGER_COMMANDS_PARTITIONS },
      { topic: COMMAND_UPDATES_TOPIC, partitions: COMMAND_UPDATES_PARTITIONS },
    ],
    idleMs: 250,
  },
  jobs: [
    {
      // Commands whose bridge never answered (it died mid-command) end TIMED_OUT, not open for ever.
      name: 'command-timeouts',
      everyMs: 5_000,
      run: (rt) => commandServiceOf(rt.knex, () => rt.outbox?.wake()).sweep(),
    },
  ],
  consumers: async ({ bus, knex, logger, names, deadLetters, outbox }) => [
    await startCommandConsumer({
      bus,
      commands: commandServiceOf(knex, () => outbox?.wake()),
      deadLetters: deadLetters!,
      topic: names.topic(CHARGER_EVENTS_TOPIC),
      groupId: names.group(COMMANDS_CONSUMER),
    }),
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
    return createAssetsServer({ ...rt, quotas, onCommitted: () => rt.outbox?.wake(), diagnostics: diagnosticsUploadsOf(env) });
  },
});
