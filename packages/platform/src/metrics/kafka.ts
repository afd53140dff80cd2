import type { ConsumerGroupState, PartitionLag } from '../bus';
import type { Logger } from '../logger';
import { counter, gauge, histogram, ScrapeSources } from './registry';

/** One produce request (a group commit of everything published meanwhile, acks=all). */
export const produceDuration = histogram<'outcome'>({
  name: 'evcs_kafka_produce_duration_seconds',
  help: 'Kafka produce requests (acks=all), from send to the broker’s acknowledgement, by outcome (ok, error)',
  labelNames: ['outcome'],
});
export const produceErrors = counter<'error'>({
  name: 'evcs_kafka_produce_errors_total',
  help: 'Failed Kafka produce requests, by kafkajs error name',
  labelNames: ['error'],
});

interface LagSource {
  lag(): readonly PartitionLag[];
}
const lagSources = new ScrapeSources<LagSource>();

gauge<'group' | 'topic' | 'partition'>({
  name: 'evcs_kafka_consumer_lag_messages',
  help: 'Messages behind per consumer group and partition, reported by the member that holds the partition (sum over instances is the group’s lag)',
  labelNames: ['group', 'topic', 'partition'],
  collect() {
    this.reset();
    for (const s of lagSources.all()) for (const l of s.lag()) this.set({ group: l.groupId, topic: l.topic, partition: String(l.partition) }, l.lag);
  },
});

/** What the lag monitor needs of the bus (KafkaEventBus). */
export interface LagReadableBus {
  consumerLag(): Promise<PartitionLag[]>;
  consumerGroups(): ConsumerGroupState[];
}

/**
 * Reads the lag of a bus's consumer groups every `everyMs` (admin requests: offsets of the
 * groups and the ends of their partitions) and keeps the last answer, which the lag gauge
 * and readiness read. Not at every scrape or probe: those come often and from several places.
 */
export class ConsumerLagMonitor {
  private last: PartitionLag[] = [];
  private lastError: string | null = null;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private unregister?: () => void;

  constructor(
    private readonly bus: LagReadableBus,
    private readonly opts: { everyMs: number; logger?: Logger },
  ) {}

  start(): this {
    this.unregister = lagSources.add({ lag: () => this.last });
    const tick = () => {
      this.running = this.refresh().finally(() => {
        this.running = undefined;
        if (this.unregister) this.timer = setTimeout(tick, this.opts.everyMs).unref();
      });
    };
    tick();
    return this;
  }

  /** Read the lag now (also what the interval does). */
  async refresh(): Promise<void> {
    try {
      this.last = await this.bus.consumerLag();
      this.lastError = null;
    } catch (e) {
      this.lastError = e instanceof Error ? e.message : String(e);
      this.opts.logger?.debug({ err: e }, 'reading consumer lag failed');
    }
  }

  lag(): readonly PartitionLag[] {
    return this.last;
  }

  /** Lag summed per group, over the partitions this process holds. */
  lagByGroup(): Map<string, number> {
    const out = new Map<string, number>();
    for (const l of this.last) out.set(l.groupId, (out.get(l.groupId) ?? 0) + l.lag);
    return out;
  }

  error(): string | null {
    return this.lastError;
  }

  async stop(): Promise<void> {
    this.unregister?.();
    this.unregister = undefined;
    clearTimeout(this.timer);
    await this.running;
  }
}
