import { CommandSpec } from '@evcs/events';
import { outcomeOf, toOcppCall } from '../../../src/ocpp/commands';
import { aCommand, parseCall, parseResult, schemaCheck } from '../golden';

// UpdateFirmware.req: location (anyURI, required), retrieveDate (dateTime, required), retries?, retryInterval? (integers).
// UpdateFirmware.conf: {} — the charger only acknowledges; progress follows in FirmwareStatusNotification.
const CALL =
  '[2,"c-1","UpdateFirmware",{"location":"https://fw.example.com/terra/2.1.0.bin","retrieveDate":"2026-12-04T02:00:00.000Z","retries":3,"retryInterval":600}]';
const RESULT = '[3,"c-1",{}]';

describe('OCPP UpdateFirmware (central system → charger)', () => {
  it('golden: the firmware.update command becomes exactly this call, which the schema accepts', () => {
    const golden = parseCall(CALL);
    const cmd = aCommand({
      type: 'firmware.update',
      location: 'https://fw.example.com/terra/2.1.0.bin',
      retrieveDate: '2026-12-04T02:00:00.000Z',
      retries: 3,
      retryInterval: 600,
    });
    expect(toOcppCall(cmd.command)).toEqual({ action: golden.action, payload: golden.payload });
    expect(JSON.stringify(golden.payload)).toBe(JSON.stringify((toOcppCall(cmd.command) as { payload: unknown }).payload));
    expect(schemaCheck('UpdateFirmware', 'req', golden.payload)).toBeNull();
  });

  it('leaves out retries and retryInterval when not given', () => {
    const cmd = aCommand({ type: 'firmware.update', location: 'http://10.0.0.5/fw.bin', retrieveDate: '2026-12-04T02:00:00+08:00' });
    const call = toOcppCall(cmd.command);
    expect(call).toEqual({ action: 'UpdateFirmware', payload: { location: 'http://10.0.0.5/fw.bin', retrieveDate: '2026-12-04T02:00:00+08:00' } });
    expect(schemaCheck('UpdateFirmware', 'req', (call as { payload: unknown }).payload)).toBeNull();
  });

  it('the empty confirmation is the acceptance', () => {
    const conf = parseResult(RESULT);
    expect(schemaCheck('UpdateFirmware', 'conf', conf)).toBeNull();
    expect(outcomeOf('UpdateFirmware', conf)).toEqual({ status: 'ACCEPTED', response: {} });
  });

  it.each([
    ['no zone on retrieveDate', { location: 'https://fw.example.com/a.bin', retrieveDate: '2026-12-04T02:00:00' }],
    ['not a URL', { location: 'fw.bin', retrieveDate: '2026-12-04T02:00:00Z' }],
    ['an ftp URL', { location: 'ftp://fw.example.com/a.bin', retrieveDate: '2026-12-04T02:00:00Z' }],
    ['negative retries', { location: 'https://fw.example.com/a.bin', retrieveDate: '2026-12-04T02:00:00Z', retries: -1 }],
  ])('the command contract refuses %s', (_why, fields) => {
    expect(CommandSpec.safeParse({ type: 'firmware.update', ...fields }).success).toBe(false);
  });

  it.each([
    ['without retrieveDate', { location: 'https://fw.example.com/a.bin' }],
    ['with an unknown field', { location: 'https://fw.example.com/a.bin', retrieveDate: '2026-12-04T02:00:00Z', signature: 'x' }],
    ['with retries as a string', { location: 'https://fw.example.com/a.bin', retrieveDate: '2026-12-04T02:00:00Z', retries: '3' }],
  ])('the schema refuses a call %s', (_why, payload) => {
    expect(schemaCheck('UpdateFirmware', 'req', payload)).not.toBeNull();
  });
});
