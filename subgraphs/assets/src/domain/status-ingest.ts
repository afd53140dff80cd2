import type { ChargerEvent } from '@evcs/events';
import type { StatusStore } from './ports';
import type { ApplyOutcome } from './status';

/** Turns charger events into status changes. Knows nothing of Kafka or SQL. */
export class StatusIngestService {
  constructor(private readonly store: StatusStore) {}

  /** Events applied inside `fn` for this tenant commit together, all or nothing (StatusStore.batch). */
  inBatch<T>(tenantId: string, fn: () => Promise<T>): Promise<T> {
    return this.store.batch(tenantId, fn);
  }

  async apply(event: ChargerEvent): Promise<ApplyOutcome | 'applied' | 'unknown-charger' | 'ignored'> {
    const at = new Date(event.occurredAt);
    switch (event.type) {
      case 'connector.status_changed':
        if (event.data.connectorId === 0) {
          return this.store.applyPresence(event.tenantId, { eventId: event.id, chargerCode: event.chargerId, at, online: true });
        }
        return this.store.applyConnectorStatus(event.tenantId, {
          eventId: event.id,
          chargerCode: event.chargerId,
          connectorNo: event.data.connectorId,
          status: event.data.status,
          errorCode: event.data.errorCode === 'NoError' ? null : event.data.errorCode,
          occurredAt: at,
        });
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
      default:
        // Heartbeats, sessions, meter values, bills and command results are other consumers' business.
        return 'ignored';
    }
  }
}
