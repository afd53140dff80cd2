import { Kafka, Consumer, Producer, logLevel, CompressionTypes, KafkaConfig } from 'kafkajs';
import { PartitionPipelines } from './bus-pipeline';
import { DEFAULT_RETRY_BACKOFF, handleIsolated, type RetryBackoff } from './dead-letter/isolation';
import type { DeadLetterSink } from './dead-letter/recorder';
import type { Logger } from './logger';
import { produceDuration, produceErrors } from './metrics/kafka';
import { inConsumerSpan, withTraceHeaders } from './tracing/context';

/**
 * The project's own event-bus port. Domain and service code depends on this,
 * never on kafkajs, so the client can be swapped (kafkajs has had no release
 * since 2023) without touching them.
 *
 * Delivery is at-least-once: offsets are committed only after the handler for a
 * batch has resolved, so handlers must be idempotent.
 */
export interface BusMessage {
  key: string;
  value: string | Buffer;
  headers?: Record<string, string>;
}

export interface ReceivedMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
  timestamp: string;
}

export interface SubscribeOptions {
  groupId: string;
  topics: string[];
  /** Where a group with no committed offset starts. Default: latest. */
  fromBeginning?: boolean;
  /**
   * Partitions handled at the same time (each still strictly in order, one batch at a time).
   * Default 1. Handlers must then tolerate concurrent calls for different partitions — e.g.
   * work keyed by charger, since a charger's events share a partition.
   */
  partitionsConcurrently?: number;
  /** At most this many messages per handleBatch call; offsets commit after each call. Default 100. */
  maxMessagesPerCall?: number;
  /**
   * Keep fetching while handling: up to this many messages per partition are fetched ahead and
   * queued while earlier ones are handled (see bus-pipeline.ts). Without it (the default), kafkajs
   * fetches again only once every partition of the last fetch has been handled, so a message
   * waits for the slowest partition of the fetch before it. Order per partition, commit after
   * the handler and at-least-once are the same either way; `partitionsConcurrently` then bounds
   * the handler calls in flight. Not with `replay`.
   */
  fetchAhead?: number;
  /**
   * Read everything the topics retain at every start, and commit no offsets: for
   * consumers that rebuild in-memory state from a topic (the router's revocation
   * list). Implies fromBeginning. The subscription's `caughtUp` then says when
   * the state is complete. Use a group of its own: committing nothing, it leaves
   * nothing behind once stopped.
   */
  replay?: boolean;
  /** How long a topic may stay unknown to the broker (created a moment ago elsewhere). Default 30 s. */
  waitForTopicsMs?: number;
  /** Called with messages of one partition, in order. Offsets commit after it resolves. */
  handleBatch(messages: ReceivedMessage[]): Promise<void>;
  /**
   * Where this consumer's messages that can never be handled go (see dead-letter/). With it, a
   * call that fails is not retried whole: its messages go one at a time until the failing one is
   * dead-lettered (a permanent failure: its partition moves on, past it) or handled after retries
   * in place with `retryBackoff` (a transient one). Without it, a failing call fails the fetched
   * batch, which kafkajs retries with every message in it, again and again.
   */
  deadLetters?: DeadLetterSink;
  /** Backoff of a message retried in place (with deadLetters). Default 200 ms, doubling up to 5 s. */
  retryBackoff?: RetryBackoff;
}

export interface Subscription {
  /** Resolves once the consumer has joined its group and been assigned partitions. */
  ready: Promise<void>;
  /**
   * With `replay`: resolves once every message that was in its partitions when the
   * consumer joined has been handled (at once for empty topics).
   */
  caughtUp?: Promise<void>;
  stop(): Promise<void>;
}

export interface TopicSpec {
  topic: string;
  partitions: number;
  config?: Record<string, string>;
}

export interface EventBus {
  publish(topic: string, messages: BusMessage[]): Promise<void>;
  subscribe(opts: SubscribeOptions): Promise<Subscription>;
  ensureTopics(specs: TopicSpec[]): Promise<void>;
  close(): Promise<void>;
}

/** A consumer group this bus runs a member of, as readiness and the lag gauges see it. */
export interface ConsumerGroupState {
  groupId: string;
  /** joined its group (and not crashed or stopped since) */
  joined: boolean;
  /** partitions assigned to this member at its last join, by topic */
  assignment: Record<string, number[]>;
}

/** Messages behind, per partition this member holds: the partition's end minus the group's committed offset. */
export interface PartitionLag {
  groupId: string;
  topic: string;
  partition: number;
  lag: number;
}

/** The producer as readiness sees it: connected, and whether the last send failed (cleared by the next that succeeds). */
export interface ProducerHealth {
  connected: boolean;
  lastError: string | null;
}

export interface KafkaBusOptions {
  clientId: string;
  brokers: string[];
  logger?: Logger;
  /** Producer with idempotence (exactly-once per partition on retries). Default true. */
  idempotent?: boolean;
  kafka?: Partial<KafkaConfig>;
}

const MAX_BATCH_BYTES = 512 * 1024;
const MAX_BATCH_MESSAGES = 5_000;

interface PendingPublish {
  topic: string;
  messages: BusMessage[];
  resolve(): void;
  reject(e: unknown): void;
}

export class KafkaEventBus implements EventBus {
  private readonly kafka: Kafka;
  private producer?: Producer;
  private producerConnecting?: Promise<Producer>;
  private readonly consumers = new Set<Consumer>();
  private readonly groups = new Map<Consumer, ConsumerGroupState>();
  private readonly pipelines = new Map<Consumer, PartitionPipelines>();
  private producerError: string | null = null;

  constructor(private readonly opts: KafkaBusOptions) {
    const log = opts.logger;
    this.kafka = new Kafka({
      clientId: opts.clientId,
      brokers: opts.brokers,
      logLevel: logLevel.WARN,
      logCreator:
        () =>
        ({ level, log: entry }) => {
          if (!log) return;
          const { message, ...rest } = entry;
          if (level <= logLevel.ERROR) log.error({ kafka: rest }, message);
          else if (level === logLevel.WARN) log.warn({ kafka: rest }, message);
        },
      retry: { initialRetryTime: 100, retries: 8 },
      ...opts.kafka,
    });
  }

  private async getProducer(): Promise<Producer> {
    if (this.producer) return this.producer;
    if (!this.producerConnecting) {
      const idempotent = this.opts.idempotent ?? true;
      const p = this.kafka.producer({ idempotent, maxInFlightRequests: idempotent ? 1 : undefined, allowAutoTopicCreation: false });
      this.producerConnecting = p.connect().then(() => {
        this.producer = p;
        return p;
      });
      this.producerConnecting.catch(() => (this.producerConnecting = undefined));
    }
    return this.producerConnecting;
  }

  /**
   * Group commit. The idempotent producer allows one request in flight (that is
   * what keeps per-partition order and no duplicates on retry), so one request
   * per publish() caps throughput at one round trip per call (~5,000/s here,
   * whatever the concurrency). Instead, everything published while a request is
   * in flight goes out together in the next one, and each caller's promise
   * settles with the request that carried its messages. Order per key is kept:
   * requests are sequential, and a request keeps the order of publication.
   */
  publish(topic: string, messages: BusMessage[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    // The active trace travels in the headers (a message from the outbox carries its request's already).
    const traced = messages.map((m) => {
      const headers = withTraceHeaders(m.headers);
      return headers === m.headers ? m : { ...m, headers };
    });
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ topic, messages: traced, resolve, reject });
      void this.flush();
    });
  }

  private readonly pending: PendingPublish[] = [];
  private flushing = false;

  /** As many pending publishes as fit well below the broker's default 1 MB request limits. */
  private takeBatch(): PendingPublish[] {
    let bytes = 0;
    let count = 0;
    let n = 0;
    for (; n < this.pending.length; n++) {
      const p = this.pending[n];
      let size = 0;
      for (const m of p.messages) size += (typeof m.value === 'string' ? Buffer.byteLength(m.value) : m.value.length) + 64;
      if (n > 0 && (bytes + size > MAX_BATCH_BYTES || count + p.messages.length > MAX_BATCH_MESSAGES)) break;
      bytes += size;
      count += p.messages.length;
    }
    return this.pending.splice(0, n);
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.pending.length) {
        const batch = this.takeBatch();
        const byTopic = new Map<string, BusMessage[]>();
        for (const b of batch) {
          const list = byTopic.get(b.topic);
          if (list) list.push(...b.messages);
          else byTopic.set(b.topic, [...b.messages]);
        }
        const end = produceDuration.startTimer();
        try {
          const producer = await this.getProducer();
          // acks=-1: the events are durable on the broker before anyone acknowledges upstream.
          await producer.sendBatch({
            acks: -1,
            compression: CompressionTypes.None,
            topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
          });
          end({ outcome: 'ok' });
          this.producerError = null;
          for (const b of batch) b.resolve();
        } catch (e) {
          end({ outcome: 'error' });
          produceErrors.inc({ error: (e as Error).name ?? 'Error' });
          this.producerError = e instanceof Error ? e.message : String(e);
          for (const b of batch) b.reject(e);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  async subscribe(opts: SubscribeOptions): Promise<Subscription> {
    const consumer = this.kafka.consumer({
      groupId: opts.groupId,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 100,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
    });
    this.consumers.add(consumer);
    const replay = opts.replay ?? false;
    // A replaying consumer commits nothing: a message it skipped would come back at every start.
    if (replay && opts.deadLetters) throw new Error('subscribe: a replaying consumer cannot dead-letter');
    const backoff = opts.retryBackoff ?? DEFAULT_RETRY_BACKOFF;
    let stopped = false;
    let joined!: () => void;
    const ready = new Promise<void>((resolve) => (joined = resolve));
    const catchUp = replay ? new CatchUp() : undefined;
    const state: ConsumerGroupState = { groupId: opts.groupId, joined: false, assignment: {} };
    // A replaying group commits nothing: it has no lag to speak of.
    if (!replay) this.groups.set(consumer, state);
    const chunk = opts.maxMessagesPerCall ?? 100;
    const handle = (topic: string, part: ReceivedMessage[]) => inConsumerSpan(topic, opts.groupId, part, () => opts.handleBatch(part));
    const pipelines = opts.fetchAhead ? this.pipelined(consumer, opts, opts.fetchAhead, (part) => handle(part[0].topic, part), chunk, backoff) : undefined;
    const left = () => (state.joined = false);
    consumer.on(consumer.events.CRASH, left);
    consumer.on(consumer.events.STOP, left);
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      Object.assign(state, { joined: true, assignment: e.payload.memberAssignment });
      joined();
      if (catchUp && !catchUp.started) {
        catchUp.started = true;
        void this.endOffsets(e.payload.memberAssignment, () => stopped).then((ends) => catchUp.setTargets(ends));
      }
    });
    await consumer.connect();
    try {
      await subscribeWhenKnown(consumer, opts.topics, replay || (opts.fromBeginning ?? false), opts.waitForTopicsMs);
    } catch (e) {
      this.consumers.delete(consumer);
      this.groups.delete(consumer);
      this.pipelines.delete(consumer);
      await consumer.disconnect();
      throw e;
    }
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: opts.partitionsConcurrently ?? 1,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary, heartbeat, isRunning, isStale }) => {
        if (!isRunning() || isStale()) return;
        const messages: ReceivedMessage[] = batch.messages.map((m) => ({
          topic: batch.topic,
          partition: batch.partition,
          offset: m.offset,
          key: m.key ? m.key.toString('utf8') : null,
          value: m.value,
          headers: Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, Array.isArray(v) ? String(v[0]) : v == null ? '' : v.toString()])),
          timestamp: m.timestamp,
        }));
        if (messages.length === 0) return;
        if (pipelines) {
          // Queued, not handled: the fetch position moves on, the committed offset does not.
          const queued = await pipelines.enqueue(batch.topic, batch.partition, messages, {
            commitOffsets: (offsets) => commitOffsetsIfNecessary(offsets),
            heartbeat,
            running: () => isRunning() && !isStale(),
          });
          if (queued) resolveOffset(batch.lastOffset());
          return;
        }
        const commit = async (offset: string) => {
          resolveOffset(offset);
          if (catchUp) {
            // A replaying consumer commits nothing; it only records how far it got.
            catchUp.handled(batch.topic, batch.partition, BigInt(offset) + 1n);
          } else {
            // Commit only after the handler (and its database transactions) finished.
            await commitOffsetsIfNecessary({
              topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: (BigInt(offset) + 1n).toString() }] }],
            });
          }
          await heartbeat();
        };
        // A fetched batch can hold thousands of messages (a backlog after a pause). Handled
        // whole, it can outlast the session timeout without a heartbeat: the broker then drops
        // the member, the commit fails and the batch comes back — a backlog that never drains.
        // So: chunks, each committed and followed by a heartbeat.
        const handleHere = (part: ReceivedMessage[]) => handle(batch.topic, part);
        const running = () => isRunning() && !isStale();
        for (let i = 0; i < messages.length; i += chunk) {
          if (!running()) return;
          const part = messages.slice(i, i + chunk);
          if (!opts.deadLetters) await handleHere(part);
          else if (!(await handleIsolated(part, { handle: handleHere, sink: opts.deadLetters, commit, running, heartbeat, backoff, logger: this.opts.logger })))
            return;
          await commit(i + chunk >= messages.length ? batch.lastOffset() : part[part.length - 1].offset);
        }
      },
    });
    return {
      ready,
      ...(catchUp ? { caughtUp: catchUp.done } : {}),
      stop: async () => {
        stopped = true;
        // the calls running finish and commit; the consumer's connections close after them
        await pipelines?.stop();
        this.pipelines.delete(consumer);
        this.consumers.delete(consumer);
        this.groups.delete(consumer);
        await consumer.disconnect();
      },
    };
  }

  /** Fetch-ahead for this consumer: whatever changes or loses its assignment drops what is queued. */
  private pipelined(
    consumer: Consumer,
    opts: SubscribeOptions,
    maxQueued: number,
    handle: (part: ReceivedMessage[]) => Promise<void>,
    maxMessagesPerCall: number,
    backoff: RetryBackoff,
  ): PartitionPipelines {
    if (opts.replay) throw new Error('subscribe: a replaying consumer does not fetch ahead');
    const pipelines = new PartitionPipelines({
      handle,
      deadLetters: opts.deadLetters,
      backoff,
      logger: this.opts.logger,
      groupId: opts.groupId,
      maxMessagesPerCall,
      maxQueued,
      concurrency: opts.partitionsConcurrently ?? 1,
    });
    this.pipelines.set(consumer, pipelines);
    for (const event of [consumer.events.REBALANCING, consumer.events.GROUP_JOIN, consumer.events.CRASH, consumer.events.STOP])
      consumer.on(event, () => pipelines.reassigned());
    return pipelines;
  }

  /**
   * The end (high watermark) of every assigned partition that holds messages.
   * Retried until it succeeds or the subscription stops: a replaying consumer
   * must learn where "caught up" is.
   */
  private async endOffsets(assignment: Record<string, number[]>, isStopped: () => boolean): Promise<Map<string, bigint>> {
    for (let delay = 200; ; delay = Math.min(delay * 2, 5_000)) {
      const admin = this.kafka.admin();
      try {
        await admin.connect();
        const ends = new Map<string, bigint>();
        for (const [topic, partitions] of Object.entries(assignment)) {
          for (const o of await admin.fetchTopicOffsets(topic)) {
            if (partitions.includes(o.partition) && BigInt(o.high) > BigInt(o.low)) ends.set(`${topic}/${o.partition}`, BigInt(o.high));
          }
        }
        return ends;
      } catch (e) {
        if (isStopped()) return new Map();
        this.opts.logger?.warn({ err: e }, 'reading end offsets for a replaying consumer failed; retrying');
        await new Promise((r) => setTimeout(r, delay));
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    }
  }

  async ensureTopics(specs: TopicSpec[]): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = specs.filter((s) => !existing.has(s.topic));
      if (missing.length === 0) {
        // Listed is not yet usable: a topic another service has just created can be in the
        // list before its partitions have leaders.
        if (
          !(await this.topicsReady(
            admin,
            specs.map((s) => s.topic),
          ))
        )
          throw new Error(`Kafka topics without leaders: ${specs.map((s) => s.topic).join(', ')}`);
        return;
      }
      try {
        await admin.createTopics({
          waitForLeaders: true,
          topics: missing.map((s) => ({
            topic: s.topic,
            numPartitions: s.partitions,
            replicationFactor: 1,
            configEntries: Object.entries(s.config ?? {}).map(([name, value]) => ({ name, value })),
          })),
        });
      } catch (e) {
        // Services starting together create the same topics at the same moment: kafkajs then
        // reports "Topic creation errors" (TOPIC_ALREADY_EXISTS inside), or metadata that is not
        // there yet. The desired end state is what counts: every topic with a leader per partition.
        if (
          !(await this.topicsReady(
            admin,
            missing.map((s) => s.topic),
          ))
        )
          throw e;
      }
    } finally {
      await admin.disconnect();
    }
  }

  private async topicsReady(admin: ReturnType<Kafka['admin']>, topics: string[], timeoutMs = 30_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const { topics: meta } = await admin.fetchTopicMetadata({ topics });
        if (meta.length === topics.length && meta.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return true;
      } catch {
        /* not there yet */
      }
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Connect the producer now rather than at the first publish (a service whose readiness needs it). */
  async connectProducer(): Promise<void> {
    await this.getProducer();
  }

  async probeBroker(): Promise<void> {
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      await admin.describeCluster();
      this.producerError = null;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  producerHealth(): ProducerHealth {
    return { connected: this.producer !== undefined, lastError: this.producerError };
  }

  /** The consumer groups this bus runs members of (replaying ones excepted). */
  consumerGroups(): ConsumerGroupState[] {
    return [...this.groups.values()].map((g) => ({ ...g, assignment: { ...g.assignment } }));
  }

  /**
   * Lag of every partition assigned to this bus's members: the partition's end (high
   * watermark) minus the group's committed offset (its start when the group committed none).
   */
  async consumerLag(): Promise<PartitionLag[]> {
    const groups = this.consumerGroups().filter((g) => g.joined && Object.keys(g.assignment).length > 0);
    if (groups.length === 0) return [];
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const ends = new Map<string, { low: bigint; high: bigint }>();
      for (const topic of new Set(groups.flatMap((g) => Object.keys(g.assignment)))) {
        for (const o of await admin.fetchTopicOffsets(topic)) ends.set(`${topic}/${o.partition}`, { low: BigInt(o.low), high: BigInt(o.high) });
      }
      const out: PartitionLag[] = [];
      for (const g of groups) {
        const committed = await admin.fetchOffsets({ groupId: g.groupId, topics: Object.keys(g.assignment) });
        for (const t of committed) {
          for (const p of t.partitions) {
            const end = ends.get(`${t.topic}/${p.partition}`);
            if (!end || !g.assignment[t.topic]?.includes(p.partition)) continue;
            const at = BigInt(p.offset) >= 0n ? BigInt(p.offset) : end.low;
            out.push({ groupId: g.groupId, topic: t.topic, partition: p.partition, lag: Number(end.high > at ? end.high - at : 0n) });
          }
        }
      }
      return out;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** Sum over partitions of a consumer group's committed offsets on a topic (for lag and benchmarks). */
  async committedOffsetTotal(groupId: string, topic: string): Promise<number> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
      return (t?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
    } finally {
      await admin.disconnect();
    }
  }

  async close(): Promise<void> {
    // What was published before close is sent (or fails to its callers), not dropped.
    for (let waited = 0; (this.flushing || this.pending.length > 0) && waited < 10_000; waited += 10) await new Promise((r) => setTimeout(r, 10));
    // a pipelined consumer's calls in flight finish and commit first
    await Promise.allSettled([...this.pipelines.values()].map((p) => p.stop()));
    this.pipelines.clear();
    await Promise.allSettled([...this.consumers].map((c) => c.disconnect()));
    this.consumers.clear();
    this.groups.clear();
    if (this.producer) await this.producer.disconnect();
    this.producer = undefined;
    this.producerConnecting = undefined;
  }
}

/** Progress of a replaying consumer towards the partition ends it saw when it joined. */
class CatchUp {
  started = false;
  private finished = false;
  private targets?: Map<string, bigint>;
  private readonly next = new Map<string, bigint>();
  private resolve!: () => void;
  readonly done = new Promise<void>((r) => (this.resolve = r));

  setTargets(ends: Map<string, bigint>): void {
    this.targets = ends;
    this.check();
  }

  /** Messages before `nextOffset` in this partition have been handled. */
  handled(topic: string, partition: number, nextOffset: bigint): void {
    this.next.set(`${topic}/${partition}`, nextOffset);
    this.check();
  }

  private check(): void {
    if (!this.targets || this.finished) return;
    for (const [tp, end] of this.targets) if ((this.next.get(tp) ?? -1n) < end) return;
    this.finished = true;
    this.resolve();
  }
}

const UNKNOWN_TOPIC_TYPES = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE']);

/**
 * kafkajs' consumer.subscribe() refreshes metadata once, without its retrier: a topic that
 * was created a moment ago (by this or another service starting alongside) can still be
 * unknown to the broker's metadata cache in KRaft, and subscribe() then throws
 * UNKNOWN_TOPIC_OR_PARTITION at once. That was a start-up failure seen in CI; a topic
 * that stays unknown for 30 s is still an error.
 */
async function subscribeWhenKnown(consumer: Consumer, topics: string[], fromBeginning: boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 50; ; delay = Math.min(delay * 2, 1_000)) {
    try {
      await consumer.subscribe({ topics, fromBeginning });
      return;
    } catch (e) {
      const type = (e as { type?: string }).type;
      const left = deadline - Date.now();
      if (!type || !UNKNOWN_TOPIC_TYPES.has(type) || left <= 0) throw e;
      await new Promise((r) => setTimeout(r, Math.min(delay, left)));
    }
  }
}
