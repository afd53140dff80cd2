import { ChargerEvent, decodeChargerEvent } from '@evcs/events';
import { createKnex, EventBus, KafkaEventBus, Knex, Logger, Subscription } from '@evcs/platform';
import { createTestDatabase, TestDatabase, uniqueName } from '@evcs/testkit';
import type net from 'node:net';
import { migrations } from '../src/persistence/schema';
import { PgBridgeStore } from '../src/persistence/pg-store';

export interface Received {
  key: string | null;
  event: ChargerEvent;
}

/** Everything published on `topic`, from the beginning, decoded. */
export async function collectEvents(bus: KafkaEventBus, topic: string): Promise<{ received: Received[]; subscription: Subscription }> {
  const received: Received[] = [];
  const subscription = await bus.subscribe({
    groupId: uniqueName('bridge-test-reader'),
    topics: [topic],
    fromBeginning: true,
    handleBatch: async (messages) => {
      for (const m of messages) received.push({ key: m.key, event: decodeChargerEvent(m.value) });
    },
  });
  await subscription.ready;
  return { received, subscription };
}

/** A bus whose next publish carrying an event of `type` fails once (a broker outage for one request). */
export function flakyBus(bus: EventBus): EventBus & { failNext(type: string): void; failAll(on: boolean): void } {
  let failType: string | undefined;
  let failing = false;
  return {
    failNext: (t) => (failType = t),
    failAll: (on) => (failing = on),
    publish: async (t, messages) => {
      if (failing || (failType && messages.some((m) => m.headers?.['event-type'] === failType))) {
        failType = undefined;
        throw new Error('simulated broker failure');
      }
      return bus.publish(t, messages);
    },
    subscribe: (o) => bus.subscribe(o),
    ensureTopics: (s) => bus.ensureTopics(s),
    close: () => bus.close(),
  };
}

export interface BridgeDatabase {
  db: TestDatabase;
  knex: Knex;
  store: PgBridgeStore;
  close(): Promise<void>;
}

/** A database of its own with the bridge schema migrated, and a store on the application role (RLS applies). */
export async function bridgeDatabase(): Promise<BridgeDatabase> {
  const db = await createTestDatabase([migrations]);
  const knex = createKnex({ connectionString: db.appUrl, schema: 'bridge', pool: { max: 4 } });
  const store = new PgBridgeStore(knex);
  return {
    db,
    knex,
    store,
    close: async () => {
      await knex.destroy();
      await db.drop();
    },
  };
}

export function listenTcp(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : 0);
    });
  });
}

export const silentLogger = (name: string, createLogger: (n: string, o: { level: string }) => Logger) => createLogger(name, { level: process.env.LOG_LEVEL ?? 'silent' });
