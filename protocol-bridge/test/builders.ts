import { randomUUID } from 'node:crypto';
import type { ChargerContext, EventStamp } from '../src/connections/events';
import type { BootNotificationRequest, StatusNotificationRequest } from '../src/ocpp/messages';

export const aTenantId = () => randomUUID();

export function aChargerContext(overrides: Partial<ChargerContext> = {}): ChargerContext {
  return { tenantId: '6f1c2a4e-0b7d-4c1e-9a55-3f2d8c9b1e70', chargerId: 'CP-0001', protocol: 'OCPP16', bridgeId: 'bridge-test', ...overrides };
}

export function aStamp(overrides: Partial<EventStamp> = {}): EventStamp {
  return { id: randomUUID(), receivedAt: new Date('2025-03-01T12:00:00.000Z'), ...overrides };
}

export function aBootNotification(overrides: Partial<BootNotificationRequest> = {}): BootNotificationRequest {
  return { chargePointVendor: 'ABB', chargePointModel: 'Terra AC', chargePointSerialNumber: 'SN-1', firmwareVersion: '1.2.3', ...overrides };
}

export function aStatusNotification(overrides: Partial<StatusNotificationRequest> = {}): StatusNotificationRequest {
  return { connectorId: 1, errorCode: 'NoError', status: 'Available', timestamp: '2025-03-01T11:59:58.500Z', ...overrides };
}
