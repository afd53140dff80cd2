import type { ChargerEvent, ChargerEventOf } from '@evcs/events';
import type { ChargerEventPublisher } from '../ports';
import { ChargerContext, chargerEvent, connectedEvent, disconnectedEvent, EventStamp } from './events';

/**
 * One live connection of one charger, whatever the protocol. Its events reach
 * the bus in the order they happened: each publish starts only after the one
 * before it settled. (The bus keys events by charger id, so they also stay in
 * order on their partition.)
 */
export class ChargerSession {
  private tail: Promise<unknown>;
  private ended?: Promise<void>;
  private markFinished!: () => void;
  /** Settles once the charger.disconnected event was published (or failed to be). */
  readonly finished: Promise<void>;
  lastSeenAt: Date;

  constructor(
    readonly ctx: ChargerContext,
    private readonly publisher: ChargerEventPublisher,
    readonly stamp: () => EventStamp,
    /**
     * Work that must be on the bus before this session's first event: the end of
     * an older connection of the same charger, so "disconnected" of the old one
     * never lands after "connected" of the new one.
     */
    after: Promise<unknown> = Promise.resolve(),
  ) {
    this.tail = after.catch(() => undefined);
    this.finished = new Promise<void>((resolve) => (this.markFinished = resolve));
    this.lastSeenAt = stamp().receivedAt;
  }

  get chargerId(): string {
    return this.ctx.chargerId;
  }

  /** Publish after every earlier event of this session; rejects if this one could not be published. */
  publish(event: ChargerEvent): Promise<void> {
    const p = this.tail.then(() => this.publisher.publish(event));
    this.tail = p.catch(() => undefined);
    return p;
  }

  /** Publish an event of this charger built from its data (stamped now; `occurredAt`: the charger's own time, if it sent one). */
  emit<T extends ChargerEvent['type']>(type: T, data: ChargerEventOf<T>['data'], occurredAt?: string): Promise<void> {
    return this.publish(chargerEvent(this.ctx, this.stamp(), type, data, occurredAt));
  }

  /** Mark activity from the charger (any message, any heartbeat). */
  touch(at: Date): void {
    this.lastSeenAt = at;
  }

  begin(remoteAddress?: string): Promise<void> {
    return this.publish(connectedEvent(this.ctx, this.stamp(), remoteAddress));
  }

  /** Publish charger.disconnected once; later calls return the same promise. */
  end(reason: string): Promise<void> {
    if (!this.ended) {
      this.ended = this.publish(disconnectedEvent(this.ctx, this.stamp(), reason)).finally(() => this.markFinished());
    }
    return this.ended;
  }
}
