import type { ChargerEvent } from '@evcs/events';
import type { StatusStore } from './ports';
import type { ApplyOutcome, StatusObservation } from './status';

type Outcome = ApplyOutcome | 'applied' | 'unknown-charger' | 'ignored';
type ConnectorStatusEvent = Extract<ChargerEvent, { type: 'connector.status_changed' }>;

/** A status of one connector (connector 0 is the charger as a whole: presence, not a connector). */
function isConnectorStatus(e: ChargerEvent): e is ConnectorStatusEvent {
  return e.type === 'connector.status_changed' && e.data.connectorId !== 0;
}

function observation(event: ConnectorStatusEvent): StatusObservation {
  return {
    eventId: event.id,
    chargerCode: event.chargerId,
    connectorNo: event.data.connectorId,
    status: event.data.status,
    errorCode: event.data.errorCode === 'NoError' ? null : event.data.errorCode,
    occurredAt: new Date(event.occurredAt),
  };
}

/** Turns charger events into status changes. Knows nothing of Kafka or SQL. */
export class StatusIngestService {
  constructor(private readonly store: StatusStore) {}

  /** Events applied inside `fn` for this tenant commit together, all or nothing (StatusStore.batch). */
  inBatch<T>(tenantId: string, fn: () => Promise<T>): Promise<T> {
    return this.store.batch(tenantId, fn);
  }

  /**
   * A run of one tenant's events, in order, all or nothing: consecutive connector statuses go
   * to the store together (set-based), the rest one at a time between them.
   */
  applyRun(tenantId: string, events: readonly ChargerEvent[]): Promise<Outcome[]> {
    return this.store.batch(tenantId, async () => {
      const out: Outcome[] = [];
      for (let i = 0; i < events.length;) {
        let j = i;
        const statuses: StatusObservation[] = [];
        for (let e = events[j]; j < events.length && isConnectorStatus(e); e = events[++j]) statuses.push(observation(e));
        if (statuses.length > 0) out.push(...(await this.store.applyConnectorStatuses(tenantId, statuses)));
        else out.push(await this.apply(events[j++]));
        i = j;
      }
      return out;
    });
  }

  async apply(event: ChargerEvent): Promise<Outcome> {
    const at = new Date(event.occurredAt);
    switch (event.type) {
      case 'connector.status_changed':
        if (event.data.connectorId === 0) {
          return this.store.applyPresence(event.tenantId, { eventId: event.id, chargerCode: event.chargerId, at, online: true });
        }
        return this.store.applyConnectorStatus(event.tenantId, observation(event));
      case 'charger.connected':
        return this.store.applyPresence(event.tenantId, { eventId: event.id, chargerCode: event.chargerId, at, online: true });
      case 'charger.disconnected':
        return this.store.applyPresence(event.tenantId, { eventId: event.id, chargerCode: event.chargerId, at, online: false });
      case 'charger.booted':
        return this.store.applyPresence(event.tenantId, {
          eventId: event.id,
          chargerCode: event.chargerId,
          at,
          online: true,
          boot: { vendor: event.data.vendor, model: event.data.model, firmwareVersion: event.data.firmwareVersion },
        });
      case 'charger.notice':
        if (event.data.kind === 'DATA_TRANSFER') return 'ignored';
        return this.store.applyPresence(event.tenantId, {
          eventId: event.id,
          chargerCode: event.chargerId,
          at,
          notice: { kind: event.data.kind, status: event.data.status },
        });
      default:
        // Heartbeats, sessions, meter values, bills and command results are other consumers' business.
        return 'ignored';
    }
  }
}
