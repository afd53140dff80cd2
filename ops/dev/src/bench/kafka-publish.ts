import { createLogger, KafkaEventBus } from '@evcs/platform';
import { ensureKafka, uniqueName } from '@evcs/testkit';

/**
 * The event bus's publish path alone: N concurrent publishers, each publishing
 * one ~350-byte event at a time and waiting for the broker's ack (acks=all,
 * idempotent producer) — how the bridge acknowledges charger messages.
 *
 *   node ops/dev/dist/src/bench/kafka-publish.js [seconds=5]
 */
async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 5);
  const bus = new KafkaEventBus({ clientId: uniqueName('kbench'), brokers: await ensureKafka(), logger: createLogger('kbench', { level: 'error' }) });
  const topic = uniqueName('kbench');
  await bus.ensureTopics([{ topic, partitions: 12 }]);
  await bus.publish(topic, [{ key: 'warm', value: 'up' }]);
  for (const concurrency of [1, 50, 500]) {
    let n = 0;
    const latencies: number[] = [];
    const end = Date.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: concurrency }, async (_, i) => {
        while (Date.now() < end) {
          const t = process.hrtime.bigint();
          await bus.publish(topic, [{ key: `charger-${i}`, value: JSON.stringify({ i, n, pad: 'x'.repeat(300) }) }]);
          latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
          n++;
        }
      }),
    );
    latencies.sort((a, b) => a - b);
    const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))].toFixed(1);
    console.log(`${concurrency} publishers: ${(n / seconds).toFixed(0)} events/s, ack latency ms p50 ${at(0.5)} p99 ${at(0.99)}`);
  }
  await bus.close();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
