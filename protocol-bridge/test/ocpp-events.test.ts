import { ChargerEvent } from '@evcs/events';
import { RPCError } from 'ocpp-rpc';
import { connectedEvent, disconnectedEvent, normaliseTimestamp } from '../src/connections/events';
import { bootNotificationEvent } from '../src/ocpp/handlers/boot-notification';
import { statusNotificationEvent } from '../src/ocpp/handlers/status-notification';
import { aBootNotification, aChargerContext, aStamp, aStatusNotification } from './builders';

const receivedAt = new Date('2025-03-01T12:00:00.000Z');

describe('OCPP 1.6 → charger events', () => {
  it('maps BootNotification to charger.booted, stamped with the receive time', () => {
    const ctx = aChargerContext();
    const stamp = aStamp({ receivedAt });
    const event = bootNotificationEvent(ctx, stamp, aBootNotification());
    expect(event).toEqual({
      id: stamp.id,
      version: 1,
      type: 'charger.booted',
      tenantId: ctx.tenantId,
      chargerId: 'CP-0001',
      occurredAt: '2025-03-01T12:00:00.000Z',
      receivedAt: '2025-03-01T12:00:00.000Z',
      source: { protocol: 'OCPP16', bridgeId: 'bridge-test' },
      data: { vendor: 'ABB', model: 'Terra AC', serialNumber: 'SN-1', firmwareVersion: '1.2.3' },
    });
    expect(ChargerEvent.safeParse(event).success).toBe(true);
  });

  it('takes the charge box serial number when the charge point one is missing, and omits absent fields', () => {
    const event = bootNotificationEvent(
      aChargerContext(),
      aStamp(),
      aBootNotification({ chargePointSerialNumber: undefined, chargeBoxSerialNumber: 'BOX-9', firmwareVersion: undefined }),
    );
    expect(event.data).toEqual({ vendor: 'ABB', model: 'Terra AC', serialNumber: 'BOX-9' });
  });

  it('maps StatusNotification to connector.status_changed at the charger timestamp', () => {
    const event = statusNotificationEvent(
      aChargerContext(),
      aStamp({ receivedAt }),
      aStatusNotification({ connectorId: 2, status: 'Charging', info: 'cable locked' }),
    );
    expect(event.type).toBe('connector.status_changed');
    expect(event.occurredAt).toBe('2025-03-01T11:59:58.500Z');
    expect(event.receivedAt).toBe('2025-03-01T12:00:00.000Z');
    expect(event.data).toEqual({ connectorId: 2, status: 'Charging', errorCode: 'NoError', info: 'cable locked' });
    expect(ChargerEvent.safeParse(event).success).toBe(true);
  });

  it('uses the receive time when the charger sent no timestamp', () => {
    const event = statusNotificationEvent(aChargerContext(), aStamp({ receivedAt }), aStatusNotification({ timestamp: undefined }));
    expect(event.occurredAt).toBe(receivedAt.toISOString());
  });

  it('keeps charger 0 (the whole charger) and fault codes', () => {
    const event = statusNotificationEvent(aChargerContext(), aStamp(), aStatusNotification({ connectorId: 0, status: 'Faulted', errorCode: 'GroundFailure' }));
    expect(event.data).toMatchObject({ connectorId: 0, status: 'Faulted', errorCode: 'GroundFailure' });
  });

  it.each([-1, 256, 70000])('refuses connector id %p with an OCPP PropertyConstraintViolation', (connectorId) => {
    let caught: unknown;
    try {
      statusNotificationEvent(aChargerContext(), aStamp(), aStatusNotification({ connectorId }));
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(RPCError);
    expect((caught as RPCError).rpcErrorCode).toBe('PropertyConstraintViolation');
  });

  it('builds connected and disconnected events that satisfy the contract', () => {
    const ctx = aChargerContext({ protocol: 'SIMULATED' });
    const c = connectedEvent(ctx, aStamp(), '10.0.0.7');
    const d = disconnectedEvent(ctx, aStamp(), 'closed (code 1006)');
    expect(c).toMatchObject({ type: 'charger.connected', data: { remoteAddress: '10.0.0.7' }, source: { protocol: 'SIMULATED' } });
    expect(connectedEvent(ctx, aStamp()).data).toEqual({});
    expect(d).toMatchObject({ type: 'charger.disconnected', data: { reason: 'closed (code 1006)' } });
    expect(c.id).not.toBe(d.id);
    expect(ChargerEvent.safeParse(c).success && ChargerEvent.safeParse(d).success).toBe(true);
  });
});

describe('normaliseTimestamp', () => {
  const fallback = new Date('2025-01-01T00:00:00.000Z');
  it.each([
    ['2025-03-01T10:00:00Z', '2025-03-01T10:00:00.000Z'],
    ['2025-03-01T10:00:00.123456Z', '2025-03-01T10:00:00.123Z'],
    ['2025-03-01t10:00:00z', '2025-03-01T10:00:00.000Z'],
    ['2025-03-01T10:00:00+01:00', '2025-03-01T09:00:00.000Z'],
    ['2025-03-01T10:00:00+0130', '2025-03-01T08:30:00.000Z'],
    ['2025-03-01T10:00:00-05', '2025-03-01T15:00:00.000Z'],
    // OCPP times are UTC: no zone means UTC, never the host's local time.
    ['2025-03-01T10:00:00', '2025-03-01T10:00:00.000Z'],
    ['2025-03-01 10:00:00Z', '2025-03-01T10:00:00.000Z'],
  ])('%s → %s', (raw, expected) => {
    expect(normaliseTimestamp(raw, fallback)).toBe(expected);
  });

  it.each([[undefined], [''], ['not a time'], ['2025-13-45T99:00:00Z']])('falls back for %p', (raw) => {
    expect(normaliseTimestamp(raw, fallback)).toBe(fallback.toISOString());
  });
});
