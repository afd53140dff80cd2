import { aChargerContext, aStamp } from './builders';
import { connectorStatusOf, realTimeMeterEvent, scaled } from '../src/ykc/events';
import { toOcppCall, outcomeOf } from '../src/ocpp/commands';
import { ChargerEvent } from '@evcs/events';

describe('YKC → event model mapping', () => {
  it('turns scaled integers into exact decimal strings', () => {
    expect(scaled(12345, 4)).toBe('1.2345');
    expect(scaled(5, 4)).toBe('0.0005');
    expect(scaled(5500, 1)).toBe('550.0');
    expect(scaled(0, 5)).toBe('0.00000');
    expect(scaled(20, 0, -50)).toBe('-30');
    expect(scaled(0xffffffffff, 4)).toBe('109951162.7775');
  });

  it('maps gun states onto the OCPP connector vocabulary', () => {
    expect(connectorStatusOf({ status: 0, plugged: false })).toBe('Unavailable');
    expect(connectorStatusOf({ status: 1, plugged: false })).toBe('Faulted');
    expect(connectorStatusOf({ status: 2, plugged: false })).toBe('Available');
    expect(connectorStatusOf({ status: 2, plugged: true })).toBe('Preparing');
    expect(connectorStatusOf({ status: 3, plugged: true })).toBe('Charging');
  });

  it('builds a valid session.meter_values event from real-time data, without a transaction for an all-zero serial', () => {
    const e = realTimeMeterEvent(aChargerContext({ protocol: 'YKC', chargerId: '55031412782305' }), aStamp(), {
      serial: '0'.repeat(32),
      pileNo: '55031412782305',
      gunNo: '01',
      status: 3,
      gunReturned: 0,
      plugged: true,
      voltageX10: 3800,
      currentX10: 1250,
      gunTempRaw: 75,
      gunLineCode: Buffer.alloc(8),
      soc: 50,
      batteryMaxTempRaw: 80,
      chargingMinutes: 3,
      remainingMinutes: 40,
      energyX1e4: 10_000,
      lossEnergyX1e4: 10_000,
      amountX1e4: 15_000,
      hardwareFaults: 0,
    });
    expect(ChargerEvent.safeParse(e).success).toBe(true);
    expect(e.data.transactionId).toBeUndefined();
    expect(e.data.readings[0].samples.map((s) => `${s.measurand}=${s.value}${s.unit}`)).toEqual([
      'Voltage=380.0V',
      'Current.Import=125.0A',
      'Power.Active.Import=47500.00W',
      'SoC=50Percent',
      'Temperature=25Celsius',
      'Energy.Active.Import.Interval=1.0000kWh',
      'Amount=1.5000CNY',
    ]);
    // energy and amount so far count from the session's start: not register readings
    expect(e.data.readings[0].samples.filter((s) => s.sinceStart).map((s) => s.measurand)).toEqual(['Energy.Active.Import.Interval', 'Amount']);
  });
});

describe('platform commands → OCPP calls', () => {
  it('maps each command to its OCPP 1.6 action', () => {
    expect(toOcppCall({ type: 'session.start', connectorId: 2, idTag: 'T' })).toEqual({
      action: 'RemoteStartTransaction',
      payload: { connectorId: 2, idTag: 'T' },
    });
    expect(toOcppCall({ type: 'session.stop', transactionId: '1001' })).toEqual({ action: 'RemoteStopTransaction', payload: { transactionId: 1001 } });
    expect(toOcppCall({ type: 'session.stop', transactionId: '5503141278230501' + '2403151030450001' })).toHaveProperty('unsupported');
    expect(toOcppCall({ type: 'real_time_data.read', connectorId: 1 })).toEqual({
      action: 'TriggerMessage',
      payload: { requestedMessage: 'MeterValues', connectorId: 1 },
    });
    expect(toOcppCall({ type: 'time.sync' })).toHaveProperty('unsupported');
  });

  it('reads the charger’s answer', () => {
    expect(outcomeOf('UnlockConnector', { status: 'Unlocked' }).status).toBe('ACCEPTED');
    expect(outcomeOf('UnlockConnector', { status: 'NotSupported' })).toMatchObject({ status: 'REJECTED', reason: 'NotSupported' });
    expect(outcomeOf('ChangeConfiguration', { status: 'RebootRequired' })).toMatchObject({ status: 'ACCEPTED', reason: 'RebootRequired' });
    expect(outcomeOf('GetConfiguration', { configurationKey: [] }).status).toBe('ACCEPTED');
  });
});
