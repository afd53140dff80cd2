import { randomUUID } from 'node:crypto';
import { encodeTariffEvent, TariffEvent } from '@evcs/events';
import { createLogger, KafkaEventBus } from '@evcs/platform';
import { ensureKafka, eventually, uniqueName } from '@evcs/testkit';
import { startTariffListener, TariffListener } from '../src/kafka/tariff-listener';

/** The bridge's tariff-change listener over real Kafka: who is pushed, and when. */
describe('tariff listener (real Kafka)', () => {
  const logger = createLogger('tariff-listener-test', { level: 'silent' });
  let bus: KafkaEventBus;
  let listener: TariffListener | undefined;
  const topic = uniqueName('t_tariff_listener');

  beforeAll(async () => {
    bus = new KafkaEventBus({ clientId: uniqueName('tariff-listener'), brokers: await ensureKafka(), logger });
  });
  afterAll(async () => {
    await listener?.stop();
    await bus?.close();
  });

  const planChanged = (tenantId: string, effectiveFrom: Date): TariffEvent => ({
    id: randomUUID(),
    version: 1,
    tenantId,
    occurredAt: new Date().toISOString(),
    type: 'tariff.plan_changed',
    data: { planId: randomUUID(), stationId: null, change: 'VERSIONED', planVersion: 2, effectiveFrom: effectiveFrom.toISOString() },
  });

  it('pushes each changed tenant once per batch at once, and again when a later revision takes effect', async () => {
    const calls: { tenantId: string; at: number }[] = [];
    listener = await startTariffListener({
      bus,
      topic,
      groupId: uniqueName('bridge-tariffs'),
      logger,
      push: async (tenantId) => {
        calls.push({ tenantId, at: Date.now() });
        return { pushed: 1, current: 0, failed: 0 };
      },
    });
    const [now, later] = [randomUUID(), randomUUID()];
    const sent = Date.now();
    await bus.publish(topic, [
      encodeTariffEvent(planChanged(now, new Date())),
      encodeTariffEvent(planChanged(now, new Date())),
      encodeTariffEvent(planChanged(later, new Date(sent + 2_000))),
    ]);
    await eventually(async () => calls.filter((c) => c.tenantId === later).length >= 2, {
      timeoutMs: 15_000,
      what: 'the later revision pushed when it took effect',
    });
    // at once: each tenant of the batch; the two events of one tenant may arrive in one batch or two
    expect(calls.filter((c) => c.tenantId === now).length).toBeGreaterThanOrEqual(1);
    const forLater = calls.filter((c) => c.tenantId === later);
    expect(forLater).toHaveLength(2);
    expect(forLater[1].at - sent).toBeGreaterThanOrEqual(1_900);
  });
});
