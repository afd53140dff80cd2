import { ChargerEvent } from '@evcs/events';
import { ocpp16Handlers } from '../../../src/ocpp/handlers';
import { aNoticeContext, aRecordingSession, parseCall, parseResult, schemaCheck } from '../golden';

// FirmwareStatusNotification.req: status (Downloaded, DownloadFailed, Downloading, Idle, InstallationFailed, Installing, Installed), required, nothing else.
// FirmwareStatusNotification.conf: {}.
const CALL = '[2,"n-1","FirmwareStatusNotification",{"status":"Installing"}]';
const RESULT = '[3,"n-1",{}]';

describe('OCPP FirmwareStatusNotification (charger → central system)', () => {
  it('golden: the call passes the schema; the bridge publishes charger.notice (FIRMWARE) and answers the empty confirmation', async () => {
    const call = parseCall(CALL);
    expect(call.action).toBe('FirmwareStatusNotification');
    expect(schemaCheck('FirmwareStatusNotification', 'req', call.payload)).toBeNull();
    const { session, events } = aRecordingSession();
    const conf = await ocpp16Handlers.FirmwareStatusNotification(aNoticeContext(session), call.payload);
    expect(conf).toEqual(parseResult(RESULT));
    expect(schemaCheck('FirmwareStatusNotification', 'conf', conf)).toBeNull();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'charger.notice', chargerId: 'CP-0001', data: { kind: 'FIRMWARE', status: 'Installing' } });
    expect(ChargerEvent.safeParse(events[0]).success).toBe(true);
  });

  it.each('Downloaded, DownloadFailed, Downloading, Idle, InstallationFailed, Installing, Installed'.split(', '))('takes status %s', (status) => {
    expect(schemaCheck('FirmwareStatusNotification', 'req', { status })).toBeNull();
  });

  it.each([
    ['an unknown status', { status: 'DownloadScheduled' }],
    ['no status', {}],
    ['a further field', { status: 'Installing', requestId: 1 }],
  ])('the schema refuses %s', (_why, payload) => {
    expect(schemaCheck('FirmwareStatusNotification', 'req', payload)).not.toBeNull();
  });
});
