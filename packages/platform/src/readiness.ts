import type { ConsumerGroupState, ProducerHealth } from './bus';

/**
 * One thing a service needs to do its job (the database, the Kafka producer, its consumers…).
 * `check` resolves when it is fine and throws, with a message saying what is wrong, when not.
 */
export interface ReadinessCheck {
  name: string;
  check(): Promise<void> | void;
}

export interface ReadinessReport {
  status: 'ready' | 'not-ready';
  service: string;
  /** the names of the checks that failed */
  failing: string[];
  /** every check: 'ok' or what is wrong */
  checks: Record<string, string>;
}

/** Run every check at once, each bounded by `timeoutMs`; the report names what fails. */
export async function readinessReport(service: string, checks: readonly ReadinessCheck[], timeoutMs = 2_000): Promise<ReadinessReport> {
  const results = await Promise.all(
    checks.map(async (c): Promise<[string, string]> => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        await Promise.race([Promise.resolve().then(() => c.check()), timeout]);
        return [c.name, 'ok'];
      } catch (e) {
        return [c.name, e instanceof Error ? e.message : String(e)];
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const failing = results.filter(([, r]) => r !== 'ok').map(([n]) => n);
  return { status: failing.length ? 'not-ready' : 'ready', service, failing, checks: Object.fromEntries(results) };
}

/** What the Kafka checks read of the bus (KafkaEventBus). */
export interface ReadinessBus {
  producerHealth(): ProducerHealth;
  connectProducer(): Promise<void>;
  /** Ask the broker for its metadata; clears a remembered send failure when it answers. */
  probeBroker(): Promise<void>;
  consumerGroups(): ConsumerGroupState[];
}

export interface KafkaReadinessOptions {
  bus: ReadinessBus;
  /** The service publishes (outbox relay, bridge): its producer must be connected. */
  produces: boolean;
  /** Lag per group of the partitions this process holds (ConsumerLagMonitor.lagByGroup). */
  lagByGroup?: () => Map<string, number>;
  /** More messages behind than this in one group: not ready. */
  maxLag: number;
}

/** The Kafka part of readiness: producer connected, consumers joined, lag under the threshold. */
export function kafkaReadinessChecks(o: KafkaReadinessOptions): ReadinessCheck[] {
  const checks: ReadinessCheck[] = [];
  if (o.produces) {
    checks.push({
      name: 'kafka-producer',
      check: async () => {
        const h = o.bus.producerHealth();
        if (!h.connected) {
          // Connect in the background: the next probe sees the result.
          o.bus.connectProducer().catch(() => undefined);
          throw new Error('producer not connected');
        }
        if (h.lastError) await o.bus.probeBroker().catch((e: unknown) => Promise.reject(new Error(`last send failed (${h.lastError}); broker: ${String(e)}`)));
      },
    });
  }
  checks.push({
    name: 'kafka-consumers',
    check: () => {
      const waiting = o.bus.consumerGroups().filter((g) => !g.joined);
      if (waiting.length) throw new Error(`not joined: ${waiting.map((g) => g.groupId).join(', ')}`);
    },
  });
  if (o.lagByGroup) {
    const lagByGroup = o.lagByGroup;
    checks.push({
      name: 'kafka-consumer-lag',
      check: () => {
        const behind = [...lagByGroup()].filter(([, n]) => n > o.maxLag);
        if (behind.length) throw new Error(`${behind.map(([g, n]) => `${g}: ${n} behind`).join(', ')} (threshold ${o.maxLag})`);
      },
    });
  }
  return checks;
}
