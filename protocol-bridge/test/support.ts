import { ChargerEvent, decodeChargerEvent } from '@evcs/events';
import { createKnex, EventBus, KafkaEventBus, Knex, Logger, Subscription } from '@evcs/platform';
import { createTestDatabase, TestDatabase, uniqueName } from '@evcs/testkit';
import { randomBytes, scryptSync } from 'node:crypto';
import type net from 'node:net';
import { ChargerRegistrationEntry, InMemoryChargerDirectory } from '../src/directory';
import { simulatedPileIdentity } from '../src/simulator/ykc-pile';
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

export const silentLogger = (name: string, createLogger: (n: string, o: { level: string }) => Logger) =>
  createLogger(name, { level: process.env.LOG_LEVEL ?? 'silent' });

/** The password every test charger of `testDirectory` has (OCPP Basic auth). */
export const TEST_CHARGER_PASSWORD = 'test-charger-password-0001';

/** Hashed once per test file, synchronously (directories are built at describe level), in the format assets stores. */
const TEST_CHARGER_HASH = ((): string => {
  const salt = randomBytes(16);
  const key = scryptSync(TEST_CHARGER_PASSWORD, salt, 32, { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
  return ['scrypt', 16384, 8, 1, salt.toString('base64'), key.toString('base64')].join('$');
})();

export type TestEntry = ChargerRegistrationEntry & { guns?: number };

/**
 * A registered test charger as assets would answer for it: a 14-digit code is a
 * YKC pile with the simulator's login identity registered; any other an OCPP
 * charger with TEST_CHARGER_PASSWORD (profile 1). Overrides win.
 */
export function testRegistration(code: string, e: TestEntry): ChargerRegistrationEntry {
  const { guns, ...rest } = e;
  return /^\d{14}$/.test(code)
    ? { protocol: 'YKC', securityProfile: null, ykcIdentity: simulatedPileIdentity(code, guns ?? 2), ...rest }
    : { protocol: 'OCPP16', securityProfile: 1, credentialHash: TEST_CHARGER_HASH, ...rest };
}

export function testDirectory(entries: Record<string, TestEntry> = {}): InMemoryChargerDirectory {
  return new InMemoryChargerDirectory(Object.fromEntries(Object.entries(entries).map(([code, e]) => [code, testRegistration(code, e)])));
}
