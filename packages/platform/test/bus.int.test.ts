import { randomBytes } from 'node:crypto';
import { createLogger, DeadLetterReason, DeadLetterSink, KafkaEventBus, ReceivedMessage, Subscription } from '../src';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const name = (p: string) => `${p}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;

/** Group commit: concurrent publishes share requests; nothing lost, nothing twice, order per key kept (real Kafka; test-prepare starts it). */
describe('KafkaEventBus publish (real Kafka)', () => {
  const logger = createLogger('bus-test', { level: 'silent' });
  let bus: KafkaEventBus;
  let sub: Subscription | undefined;
  const topic = name('t_bus');

  beforeAll(async () => {
    bus = new KafkaEventBus({ clientId: name('bus-test'), brokers, logger });
    await bus.ensureTopics([{ topic, partitions: 4 }]);
  });
  afterAll(async () => {
    await sub?.stop();
    await bus?.close();
  });

  it('2,000 concurrent publishes from 20 keys arrive exactly once each, in publication order per key', async () => {
    const keys = Array.from({ length: 20 }, (_, i) => `charger-${i}`);
    // each key publishes its sequence one after another (as one charger's messages are), all keys at once
    await Promise.all(
      keys.map(async (key) => {
        for (let seq = 0; seq < 100; seq++) await bus.publish(topic, [{ key, value: JSON.stringify({ key, seq }) }]);
      }),
    );
    const got = new Map<string, number[]>();
    let total = 0;
    sub = await bus.subscribe({
      groupId: name('bus-test-group'),
      topics: [topic],
      fromBeginning: true,
      handleBatch: async (ms) => {
        for (const m of ms) {
          const { key, seq } = JSON.parse(String(m.value)) as { key: string; seq: number };
          got.set(key, [...(got.get(key) ?? []), seq]);
          total++;
        }
      },
    });
    await sub.ready;
    const deadline = Date.now() + 30_000;
    while (total < 2000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(total).toBe(2000);
    for (const key of keys) expect({ key, seqs: got.get(key) }).toEqual({ key, seqs: Array.from({ length: 100 }, (_, i) => i) });
  });

  it('a publish the broker refuses rejects its caller; the next publish goes through', async () => {
    await expect(bus.publish(name('t_missing'), [{ key: 'k', value: 'v' }])).rejects.toBeDefined();
    await expect(bus.publish(topic, [{ key: 'k', value: JSON.stringify({ key: 'after', seq: 0 }) }])).resolves.toBeUndefined();
  });

  it('services creating the same topics at the same moment all start (no "Topic creation errors")', async () => {
    const topics = [name('t_race_a'), name('t_race_b')];
    const buses = Array.from({ length: 5 }, () => new KafkaEventBus({ clientId: name('bus-race'), brokers, logger }));
    try {
      await Promise.all(buses.map((b) => b.ensureTopics(topics.map((topic) => ({ topic, partitions: 3 })))));
      await Promise.all(buses.map((b, i) => b.publish(topics[i % 2], [{ key: 'k', value: 'v' }])));
    } finally {
      await Promise.all(buses.map((b) => b.close()));
    }
  });

  it('a consumer subscribing to a topic created a moment later (by another service) starts and receives', async () => {
    const late = name('t_late');
    const creator = new KafkaEventBus({ clientId: name('bus-creator'), brokers, logger });
    const received: string[] = [];
    let lateSub: Subscription | undefined;
    try {
      const subscribing = bus.subscribe({
        groupId: name('bus-late-group'),
        topics: [late],
        fromBeginning: true,
        handleBatch: async (ms) => void received.push(...ms.map((m) => String(m.value))),
      });
      await new Promise((r) => setTimeout(r, 300));
      await creator.ensureTopics([{ topic: late, partitions: 2 }]);
      lateSub = await subscribing;
      await lateSub.ready;
      await creator.publish(late, [{ key: 'k', value: 'hello' }]);
      const deadline = Date.now() + 20_000;
      while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(received).toEqual(['hello']);
    } finally {
      await lateSub?.stop();
      await creator.close();
    }
  });

  it('a replaying consumer reads everything retained at every start, commits nothing, and says when it has caught up', async () => {
    const t = name('t_replay');
    const groupId = name('bus-replay-group');
    await bus.ensureTopics([{ topic: t, partitions: 3 }]);
    // two partitions hold messages, one stays empty: caught up must not wait for it
    await bus.publish(
      t,
      ['a', 'b', 'c', 'd'].map((key) => ({ key, value: key })),
    );
    const start = async () => {
      const seen: string[] = [];
      const s = await bus.subscribe({ groupId, topics: [t], replay: true, handleBatch: async (ms) => void seen.push(...ms.map((m) => String(m.value))) });
      await s.caughtUp;
      return { s, seen };
    };
    const first = await start();
    expect(first.seen.sort()).toEqual(['a', 'b', 'c', 'd']);
    await first.s.stop();
    // the same group again (a restart): no committed offsets, so everything again
    const second = await start();
    expect(second.seen.sort()).toEqual(['a', 'b', 'c', 'd']);
    await second.s.stop();
  });

  it('a replaying consumer of an empty topic is caught up at once', async () => {
    const t = name('t_replay_empty');
    await bus.ensureTopics([{ topic: t, partitions: 2 }]);
    const s = await bus.subscribe({ groupId: name('bus-replay-empty'), topics: [t], replay: true, handleBatch: async () => undefined });
    try {
      await expect(s.caughtUp).resolves.toBeUndefined();
    } finally {
      await s.stop();
    }
  });

  it('a subscription to a topic that never appears fails with UNKNOWN_TOPIC_OR_PARTITION once its wait is over', async () => {
    const started = Date.now();
    await expect(
      bus.subscribe({ groupId: name('bus-never-group'), topics: [name('t_never')], waitForTopicsMs: 1_000, handleBatch: async () => undefined }),
    ).rejects.toMatchObject({ type: 'UNKNOWN_TOPIC_OR_PARTITION' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('a large backlog reaches the handler in calls of at most maxMessagesPerCall, each committed before the next', async () => {
    const t = name('t_chunks');
    await bus.ensureTopics([{ topic: t, partitions: 1 }]);
    await bus.publish(
      t,
      Array.from({ length: 250 }, (_, i) => ({ key: 'k', value: String(i) })),
    );
    const groupId = name('bus-chunks-group');
    const calls: number[][] = [];
    // First consumer: takes the first call (100), then fails on every later one — as a handler
    // whose dependency is down would — so it can never get past the first commit.
    const first = await bus.subscribe({
      groupId,
      topics: [t],
      fromBeginning: true,
      maxMessagesPerCall: 100,
      handleBatch: async (ms) => {
        if (calls.length >= 1) throw new Error('dependency down');
        calls.push(ms.map((m) => Number(String(m.value))));
      },
    });
    const deadline = Date.now() + 20_000;
    while (calls.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await first.stop();
    // What the first one committed: exactly its first call.
    expect(await bus.committedOffsetTotal(groupId, t)).toBe(100);
    const seen: number[] = [];
    const second = await bus.subscribe({
      groupId,
      topics: [t],
      fromBeginning: true,
      maxMessagesPerCall: 100,
      handleBatch: async (ms) => void seen.push(...ms.map((m) => Number(String(m.value)))),
    });
    try {
      const until = Date.now() + 20_000;
      while (seen.length < 150 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      expect(calls[0]).toEqual(Array.from({ length: 100 }, (_, i) => i));
      // The rest, once each, from where the commit left off.
      expect(seen).toEqual(Array.from({ length: 150 }, (_, i) => 100 + i));
    } finally {
      await second.stop();
    }
  });

  it('with dead letters, a poison message in a call is settled alone: the rest of the call is handled, later calls go whole, the partition moves past it', async () => {
    const t = name('t_isolation');
    await bus.ensureTopics([{ topic: t, partitions: 1 }]);
    await bus.publish(
      t,
      Array.from({ length: 10 }, (_, i) => ({ key: 'k', value: String(i) })),
    );
    const calls: number[][] = [];
    const handled = new Set<number>();
    const dead: [ReceivedMessage, DeadLetterReason][] = [];
    const sink: DeadLetterSink = { consumer: 'bus-test', record: async (m, f) => void dead.push([m, f]) };
    const groupId = name('bus-isolation-group');
    const sub = await bus.subscribe({
      groupId,
      topics: [t],
      fromBeginning: true,
      maxMessagesPerCall: 5,
      deadLetters: sink,
      handleBatch: async (ms) => {
        calls.push(ms.map((m) => Number(String(m.value))));
        if (ms.some((m) => String(m.value) === '2')) throw new RangeError('2 can never be handled');
        for (const m of ms) handled.add(Number(String(m.value)));
      },
    });
    try {
      const deadline = Date.now() + 20_000;
      while (handled.size < 9 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect([...handled].sort((a, b) => a - b)).toEqual([0, 1, 3, 4, 5, 6, 7, 8, 9]);
      expect(dead.map(([m, f]) => [m.offset, f.reason])).toEqual([['2', 'INVALID_DATA']]);
      // The call with the poison went whole, then one at a time up to it: 2 reached the handler twice, the last time alone.
      const withPoison = calls.filter((c) => c.includes(2));
      expect(withPoison).toHaveLength(2);
      expect(withPoison[1]).toEqual([2]);
      expect(calls.indexOf(withPoison[1])).toBe(calls.indexOf(withPoison[0]) + 1 + withPoison[0].indexOf(2));
      // Nothing after it was handled twice.
      for (const n of [5, 6, 7, 8, 9]) expect(calls.filter((c) => c.includes(n))).toHaveLength(1);
      while ((await bus.committedOffsetTotal(groupId, t)) < 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(await bus.committedOffsetTotal(groupId, t)).toBe(10);
    } finally {
      await sub.stop();
    }
  });

  it('with dead letters, a transient failure is retried in place with backoff, never dead-lettered', async () => {
    const t = name('t_transient');
    await bus.ensureTopics([{ topic: t, partitions: 1 }]);
    await bus.publish(
      t,
      [0, 1, 2].map((i) => ({ key: 'k', value: String(i) })),
    );
    let failures = 0;
    const handled: number[] = [];
    const dead: ReceivedMessage[] = [];
    const sub = await bus.subscribe({
      groupId: name('bus-transient-group'),
      topics: [t],
      fromBeginning: true,
      deadLetters: { consumer: 'bus-test', record: async (m) => void dead.push(m) },
      retryBackoff: { initialMs: 10, maxMs: 40 },
      handleBatch: async (ms) => {
        if (ms.some((m) => String(m.value) === '1') && failures < 4) {
          failures++;
          throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
        }
        for (const m of ms) if (!handled.includes(Number(String(m.value)))) handled.push(Number(String(m.value)));
      },
    });
    try {
      const deadline = Date.now() + 20_000;
      while (handled.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(handled).toEqual([0, 1, 2]);
      expect(failures).toBe(4);
      expect(dead).toEqual([]);
    } finally {
      await sub.stop();
    }
  });
});
