import { CHARGER_EVENTS_PARTITIONS, CHARGER_EVENTS_TOPIC } from '@evcs/events';
import { runSubgraphMain } from '@evcs/platform';
import { StatusIngestService } from './domain/status-ingest';
import { startStatusConsumer } from './events/status-consumer';
import { PgStatusStore } from './persistence/status-store';
import { createAssetsServer } from './server';

runSubgraphMain({
  name: 'assets',
  defaultPort: 4002,
  createServer: (rt) => createAssetsServer(rt),
  startConsumers: async ({ bus, knex, logger, names }) => {
    const topic = names.topic(CHARGER_EVENTS_TOPIC);
    await bus.ensureTopics([{ topic, partitions: CHARGER_EVENTS_PARTITIONS }]);
    const ingest = new StatusIngestService(new PgStatusStore(knex));
    return [await startStatusConsumer({ bus, ingest, logger, topic, groupId: names.group('assets-status') })];
  },
});
