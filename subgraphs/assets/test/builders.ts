import { randomUUID } from 'node:crypto';
import type { ChargerEvent } from '@evcs/events';

type StatusEvent = Extract<ChargerEvent, { type: 'connector.status_changed' }>;

export function aStatusEvent(overrides: Partial<Omit<StatusEvent, 'data'>> & { data?: Partial<StatusEvent['data']> } = {}): StatusEvent {
  const now = new Date().toISOString();
  const { data, ...rest } = overrides;
  return {
    id: randomUUID(),
    version: 1,
    type: 'connector.status_changed',
    tenantId: randomUUID(),
    chargerId: 'CP-0001',
    occurredAt: now,
    receivedAt: now,
    source: { protocol: 'OCPP16', bridgeId: 'test' },
    ...rest,
    data: { connectorId: 1, status: 'Available', errorCode: 'NoError', ...data },
  };
}
