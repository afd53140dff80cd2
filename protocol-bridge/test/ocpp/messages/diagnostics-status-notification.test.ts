import { ChargerEvent } from '@evcs/events';
import { ocpp16Handlers } from '../../../src/ocpp/handlers';
import { aNoticeContext, aRecordingSession, parseCall, parseResult, schemaCheck } from '../golden';

// DiagnosticsStatusNotification.req: status (Idle, Uploaded, UploadFailed, Uploading), required, nothing else.
// DiagnosticsStatusNotification.conf: {}.
const CALL = '[2,"n-1","DiagnosticsStatusNotification",{"status":"Uploaded"}]';
const RESULT = '[3,"n-1",{}]';

describe('OCPP DiagnosticsStatusNotification (charger → central system)', () => {
  it('golden: the call passes the schema; the bridge publishes charger.notice (DIAGNOSTICS) and answers the empty confirmation', async () => {
    const call = parseCall(CALL);
    expect(call.action).toBe('DiagnosticsStatusNotification');
    expect(schemaCheck('DiagnosticsStatusNotification', 'req', call.payload)).toBeNull();
    const { session, events } = aRecordingSession();
    const conf = await ocpp16Handlers.DiagnosticsStatusNotification(aNoticeContext(session), call.payload);
    expect(conf).toEqual(parseResult(RESULT));
    expect(schemaCheck('DiagnosticsStatusNotification', 'conf', conf)).toBeNull();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'charger.notice', chargerId: 'CP-0001', data: { kind: 'DIAGNOSTICS', status: 'Uploaded' } });
    expect(ChargerEvent.safeParse(events[0]).success).toBe(true);
  });

  it.each('Idle, Uploaded, UploadFailed, Uploading'.split(', '))('takes status %s', (status) => {
    expect(schemaCheck('DiagnosticsStatusNotification', 'req', { status })).toBeNull();
  });

  it.each([
    ['an unknown status', { status: 'Failed' }],
    ['no status', {}],
    ['a further field', { status: 'Uploaded', requestId: 1 }],
  ])('the schema refuses %s', (_why, payload) => {
    expect(schemaCheck('DiagnosticsStatusNotification', 'req', payload)).not.toBeNull();
  });
});
