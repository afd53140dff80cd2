import { Kafka, Consumer, Producer, logLevel, CompressionTypes, KafkaConfig } from 'kafkajs';
import type { Logger } from './logger';

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
  /** Called with messages of one partition, in order. Offsets commit after it resolves. */
  handleBatch(messages: ReceivedMessage[]): Promise<void>;
}

export interface Subscription {
  /** Resolves once the consumer has joined its group and been assigned partitions. */
  ready: Promise<void>;
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

export interface KafkaBusOptions {
  clientId: string;
  brokers: string[];
  logger?: Logger;
  /** Producer with idempotence (exactly-once per partition on retries). Default true. */
  idempotent?: boolean;
  kafka?: Partial<KafkaConfig>;
}

export class KafkaEventBus implements EventBus {
  private readonly kafka: Kafka;
  private producer?: Producer;
  private producerConnecting?: Promise<Producer>;
  private readonly consumers = new Set<Consumer>();

  constructor(private readonly opts: KafkaBusOptions) {
    const log = opts.logger;
    this.kafka = new Kafka({
      clientId: opts.clientId,
      brokers: opts.brokers,
      logLevel: logLevel.WARN,
      logCreator: () => ({ level, log: entry }) => {
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

  async publish(topic: string, messages: BusMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const producer = await this.getProducer();
    // acks=-1: the event is durable on the broker before we acknowledge upstream.
    await producer.send({ topic, acks: -1, compression: CompressionTypes.None, messages });
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
    let joined!: () => void;
    const ready = new Promise<void>((resolve) => (joined = resolve));
    consumer.on(consumer.events.GROUP_JOIN, () => joined());
    await consumer.connect();
    await consumer.subscribe({ topics: opts.topics, fromBeginning: opts.fromBeginning ?? false });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary, heartbeat, isRunning, isStale }) => {
        if (!isRunning() || isStale()) return;
        const messages: ReceivedMessage[] = batch.messages.map((m) => ({
          topic: batch.topic,
          partition: batch.partition,
          offset: m.offset,
          key: m.key ? m.key.toString('utf8') : null,
          value: m.value,
          headers: Object.fromEntries(
            Object.entries(m.headers ?? {}).map(([k, v]) => [k, Array.isArray(v) ? String(v[0]) : v == null ? '' : v.toString()]),
          ),
          timestamp: m.timestamp,
        }));
        if (messages.length === 0) return;
        await opts.handleBatch(messages);
        // Commit only after the handler (and its database transaction) finished.
        resolveOffset(batch.lastOffset());
        await commitOffsetsIfNecessary({
          topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: (BigInt(batch.lastOffset()) + 1n).toString() }] }],
        });
        await heartbeat();
      },
    });
    return {
      ready,
      stop: async () => {
        this.consumers.delete(consumer);
        await consumer.disconnect();
      },
    };
  }

  async ensureTopics(specs: TopicSpec[]): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = specs.filter((s) => !existing.has(s.topic));
      if (missing.length === 0) return;
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
        // Another process may have created it concurrently; that is the desired end state.
        if (!String((e as Error).message).includes('already exists')) throw e;
      }
    } finally {
      await admin.disconnect();
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.consumers].map((c) => c.disconnect()));
    this.consumers.clear();
    if (this.producer) await this.producer.disconnect();
    this.producer = undefined;
    this.producerConnecting = undefined;
  }
}
