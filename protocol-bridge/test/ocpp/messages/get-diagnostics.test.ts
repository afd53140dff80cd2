import { CommandSpec, encodeChargerCommand } from '@evcs/events';
import { diagnosticsUploadToken } from '@evcs/platform';
import { outcomeOf, toOcppCall } from '../../../src/ocpp/commands';
import { redactUploadTokens } from '../../../src/ocpp/server';
import { aCommand, parseCall, parseResult, schemaCheck } from '../golden';

// GetDiagnostics.req: location (anyURI, required: where to upload), retries?, retryInterval?, startTime?, stopTime? (dateTime).
// GetDiagnostics.conf: fileName? (≤ 255): the file it will upload; absent when it has none.
const SECRET = 'a test secret that is long enough to derive tokens';
const UPLOAD = '3f0c2a9e-5b1d-4c7e-8f6a-2d4b9e1c0a77';
// token = HMAC-SHA256(SECRET, "evcs-diagnostics-upload:" + UPLOAD), hex
const TOKEN = diagnosticsUploadToken(SECRET, UPLOAD);
const CALL = `[2,"c-2","GetDiagnostics",{"location":"https://assets.example.com/diagnostics/${UPLOAD}/${TOKEN}","startTime":"2026-12-01T00:00:00.000Z","stopTime":"2026-12-03T00:00:00.000Z"}]`;
const RESULT = '[3,"c-2",{"fileName":"diag-CP-0001-20261203.tar.gz"}]';

const spec: CommandSpec = {
  type: 'diagnostics.get',
  uploadId: UPLOAD,
  location: `https://assets.example.com/diagnostics/${UPLOAD}`,
  startTime: '2026-12-01T00:00:00.000Z',
  stopTime: '2026-12-03T00:00:00.000Z',
};

describe('OCPP GetDiagnostics (central system → charger)', () => {
  it('the token is 64 hex digits, fixed by the secret and the upload id', () => {
    expect(TOKEN).toMatch(/^[0-9a-f]{64}$/);
    expect(diagnosticsUploadToken(SECRET, UPLOAD)).toBe(TOKEN);
    expect(diagnosticsUploadToken(`${SECRET}!`, UPLOAD)).not.toBe(TOKEN);
  });

  it('golden: the bridge completes the upload URL with the token it derives; the schema accepts the call', () => {
    const golden = parseCall(CALL);
    expect(toOcppCall(aCommand(spec).command, { diagnosticsUploadSecret: SECRET })).toEqual({ action: golden.action, payload: golden.payload });
    expect(schemaCheck('GetDiagnostics', 'req', golden.payload)).toBeNull();
  });

  it('the command on the topic carries no token', () => {
    const encoded = encodeChargerCommand(aCommand(spec));
    expect(String(encoded.value)).not.toContain(TOKEN);
    expect(JSON.stringify(encoded.headers ?? {})).not.toContain(TOKEN);
  });

  it('the frame log keeps the URL without its token', () => {
    expect(redactUploadTokens(CALL)).toContain(`/diagnostics/${UPLOAD}/<token>`);
    expect(redactUploadTokens(CALL)).not.toContain(TOKEN);
  });

  it('a bridge without the secret does not offer it', () => {
    expect(toOcppCall(aCommand(spec).command)).toEqual({ unsupported: expect.stringContaining('DIAGNOSTICS_UPLOAD_SECRET') });
  });

  it('the confirmation (with or without a file name) is the acceptance', () => {
    const conf = parseResult(RESULT);
    expect(schemaCheck('GetDiagnostics', 'conf', conf)).toBeNull();
    expect(outcomeOf('GetDiagnostics', conf)).toEqual({ status: 'ACCEPTED', response: { fileName: 'diag-CP-0001-20261203.tar.gz' } });
    expect(outcomeOf('GetDiagnostics', {})).toEqual({ status: 'ACCEPTED', response: {} });
  });

  it.each([
    ['without location', {}],
    ['with a start time that is no date-time', { location: 'https://a.example.com/x', startTime: 'yesterday' }],
  ])('the schema refuses a call %s', (_why, payload) => {
    expect(schemaCheck('GetDiagnostics', 'req', payload)).not.toBeNull();
  });

  it('the schema refuses a confirmation whose file name is longer than 255', () => {
    expect(schemaCheck('GetDiagnostics', 'conf', { fileName: 'x'.repeat(256) })).not.toBeNull();
  });

  it.each([
    ['a non-uuid upload id', { ...spec, uploadId: 'abc' }],
    ['a start time without zone', { ...spec, startTime: '2026-12-01T00:00:00' }],
  ])('the command contract refuses %s', (_why, s) => {
    expect(CommandSpec.safeParse(s).success).toBe(false);
  });
});
