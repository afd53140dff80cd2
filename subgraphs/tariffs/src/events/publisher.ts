import { encodeTariffEvent, TariffEvent } from '@evcs/events';
import type { EventBus } from '@evcs/platform';
import type { TariffEventPublisher } from '../domain/ports';

/** Tariff events onto Kafka (acks=all through the bus), keyed by tenant. */
export class KafkaTariffEventPublisher implements TariffEventPublisher {
  constructor(
    private readonly bus: EventBus,
    private readonly topic: string,
  ) {}

  async publish(events: TariffEvent[]): Promise<void> {
    await this.bus.publish(this.topic, events.map(encodeTariffEvent));
  }
}

/** For servers built without a bus (schema tooling, single-instance tests): nothing to tell. */
export const noPublisher: TariffEventPublisher = { publish: async () => undefined };
