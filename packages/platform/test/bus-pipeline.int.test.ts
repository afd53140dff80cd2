import { randomBytes } from 'node:crypto';
import { Partitioners } from 'kafkajs';
import { createLogger, DeadLetterSink, KafkaEventBus, ReceivedMessage } from '../src';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const name = (p: string) => `${p}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const value = (m: ReceivedMessage) => String(m.value);

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** A key the producer's (default) partitioner puts on `partition` of a topic with `count` partitions. */
function keyFor(partition: number, count: number): string {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: count }, (_, p) => ({ partitionId: p, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
  for (let i = 0; ; i++) {
    const key = `k${i}`;
    if (partitioner({ topic: 't', partitionMetadata, message: { key, value: '' } }) === partition) return key;
  }
}

/** A gate a test opens: handlers wait on it to stand for a slow database transaction. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { opened, open };
}

/**
 * Fetch-ahead (bus-pipeline.ts) against real Kafka: fetching goes on while a call is handled,
 * offsets commit only after the call, and what was not committed comes again.
 */
describe('KafkaEventBus subscribe with fetchAhead (real Kafka)', () => {
  const logger = createLogger('bus-pipeline-test', { level: 'silent' });
  let bus: KafkaEventBus;

  beforeAll(() => {
    bus = new KafkaEventBus({ clientId: name('bus-pipeline-test'), brokers, logger });
  });
  afterAll(async () => {
    await bus?.close();
  });

  it('a message produced while a slow call of another partition is handled is handled before that call finishes', async () => {
    const t = name('t_ahead');
    await bus.ensureTopics([{ topic: t, partitions: 2 }]);
    const [k0, k1] = [keyFor(0, 2), keyFor(1, 2)];
    const slow = gate();
    const handled: string[] = [];
    const sub = await bus.subscribe({
      groupId: name('bus-ahead-group'),
      topics: [t],
      fromBeginning: true,
      partitionsConcurrently: 2,
      fetchAhead: 1_000,
      handleBatch: async (ms) => {
        if (ms.some((m) => value(m) === 'slow')) await slow.opened;
        handled.push(...ms.map(value));
      },
    });
    try {
      await sub.ready;
      await bus.publish(t, [{ key: k0, value: 'slow' }]);
      await sleep(300); // the slow call is running
      await bus.publish(t, [{ key: k1, value: 'quick' }]);
      // Without fetch-ahead, kafkajs fetches again only when the slow call has returned.
      await until('the quick message', () => handled.includes('quick'), 10_000);
      expect(handled).toEqual(['quick']);
    } finally {
      slow.open();
      await until('the slow message', () => handled.includes('slow'));
      await sub.stop();
    }
  });

  it('messages fetched while a call is handled are not committed before they are handled; the commit follows each call', async () => {
    const t = name('t_commit');
    await bus.ensureTopics([{ topic: t, partitions: 1 }]);
    const groupId = name('bus-commit-group');
    const slow = gate();
    const calls: string[][] = [];
    const sub = await bus.subscribe({
      groupId,
      topics: [t],
      fromBeginning: true,
      fetchAhead: 1_000,
      maxMessagesPerCall: 5,
      handleBatch: async (ms) => {
        calls.push(ms.map(value));
        if (ms.some((m) => value(m) === '5')) await slow.opened;
      },
    });
    try {
      await bus.publish(
        t,
        Array.from({ length: 5 }, (_, i) => ({ key: 'k', value: String(i) })),
      );
      await until('the first call committed', async () => (await bus.committedOffsetTotal(groupId, t)) === 5);
      await bus.publish(
        t,
        Array.from({ length: 10 }, (_, i) => ({ key: 'k', value: String(5 + i) })),
      );
      await until('the slow call', () => calls.some((c) => c.includes('5')));
      await sleep(1_000); // fetches go on meanwhile; commits must not
      expect(await bus.committedOffsetTotal(groupId, t)).toBe(5);
      expect(calls.flat()).not.toContain('10'); // fetched, queued, not handled: the partition is applied in order
      slow.open();
      await until('all committed', async () => (await bus.committedOffsetTotal(groupId, t)) === 15);
      expect(calls.flat()).toEqual(Array.from({ length: 15 }, (_, i) => String(i)));
    } finally {
      slow.open();
      await sub.stop();
    }
  });

  it('a consumer that stops while a call is failing commits nothing past the last handled call; the next one gets the rest again, in order', async () => {
    const t = name('t_redeliver');
    await bus.ensureTopics([{ topic: t, partitions: 1 }]);
    const groupId = name('bus-redeliver-group');
    let attempts = 0;
    const first = await bus.subscribe({
      groupId,
      topics: [t],
      fromBeginning: true,
      fetchAhead: 1_000,
      maxMessagesPerCall: 4,
      retryBackoff: { initialMs: 20, maxMs: 50 },
      handleBatch: async (ms) => {
        // the database went away in the middle of the second call
        if (ms.some((m) => value(m) === '4')) {
          attempts++;
          throw new Error('connection terminated');
        }
      },
    });
    await bus.publish(
      t,
      Array.from({ length: 12 }, (_, i) => ({ key: 'k', value: String(i) })),
    );
    await until('the failing call tried again', () => attempts >= 2);
    await first.stop();
    expect(await bus.committedOffsetTotal(groupId, t)).toBe(4);
    const seen: string[] = [];
    const second = await bus.subscribe({
      groupId,
      topics: [t],
      fromBeginning: true,
      fetchAhead: 1_000,
      handleBatch: async (ms) => void seen.push(...ms.map(value)),
    });
    try {
      await until('the rest', () => seen.length >= 8);
      expect(seen).toEqual(Array.from({ length: 8 }, (_, i) => String(4 + i)));
      await until('all committed', async () => (await bus.committedOffsetTotal(groupId, t)) === 12);
    } finally {
      await second.stop();
    }
  });

  it('with dead letters, a poison message is settled alone and the partition moves past it', async () => {
    const t = name('t_ahead_dead');
    await bus.ensureTopics([{ topic: t, partitions: 1 }]);
    const groupId = name('bus-ahead-dead-group');
    const dead: string[] = [];
    const handled: string[] = [];
    const sink: DeadLetterSink = { consumer: 'bus-pipeline-test', record: async (m) => void dead.push(value(m)) };
    const sub = await bus.subscribe({
      groupId,
      topics: [t],
      fromBeginning: true,
      fetchAhead: 1_000,
      maxMessagesPerCall: 5,
      deadLetters: sink,
      handleBatch: async (ms) => {
        if (ms.some((m) => value(m) === '2')) throw new RangeError('2 can never be handled');
        handled.push(...ms.map(value));
      },
    });
    try {
      await bus.publish(
        t,
        Array.from({ length: 10 }, (_, i) => ({ key: 'k', value: String(i) })),
      );
      await until('all committed', async () => (await bus.committedOffsetTotal(groupId, t)) === 10);
      expect(dead).toEqual(['2']);
      expect([...new Set(handled)].sort((a, b) => Number(a) - Number(b))).toEqual(['0', '1', '3', '4', '5', '6', '7', '8', '9']);
    } finally {
      await sub.stop();
    }
  });

  it('a second member joining mid-stream: every message is handled, none lost, and the group commits to the end', async () => {
    const t = name('t_rebalance');
    await bus.ensureTopics([{ topic: t, partitions: 4 }]);
    const groupId = name('bus-rebalance-group');
    const seen = new Set<string>();
    const handler = async (ms: ReceivedMessage[]) => {
      await sleep(20); // a transaction's worth
      for (const m of ms) seen.add(value(m));
    };
    const opts = { groupId, topics: [t], fromBeginning: true, fetchAhead: 1_000, partitionsConcurrently: 4, maxMessagesPerCall: 20, handleBatch: handler };
    const a = await bus.subscribe(opts);
    const other = new KafkaEventBus({ clientId: name('bus-pipeline-test-b'), brokers, logger });
    try {
      const total = 2_000;
      const keys = Array.from({ length: 16 }, (_, i) => `c${i}`);
      const publishing = (async () => {
        for (let i = 0; i < total; i += 100) {
          await bus.publish(
            t,
            Array.from({ length: 100 }, (_, k) => ({ key: keys[(i + k) % keys.length], value: String(i + k) })),
          );
          await sleep(20);
        }
      })();
      await until('some handled', () => seen.size > 200);
      const b = await other.subscribe(opts);
      await publishing;
      await until('all handled', () => seen.size === total, 60_000);
      await until('the group committed to the end', async () => (await bus.committedOffsetTotal(groupId, t)) === total, 30_000);
      await b.stop();
    } finally {
      await a.stop();
      await other.close();
    }
  });
});
