import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { ChargerEvent } from '@evcs/events';
import { diagnosticsTokenHash, diagnosticsUploadToken, withTenant } from '@evcs/platform';
import { PgStatusStore, StatusIngestService } from '../src';
import { DIAGNOSTICS_MAX_BYTES } from '../src/domain/diagnostics';
import { startHarness, type Harness } from './harness';

/**
 * Firmware and diagnostics in assets against real Postgres and real HTTP: the mutations make
 * their commands; GetDiagnostics' upload takes one file per one-time URL (its token derived
 * from the secret shared with the bridge, only its hash stored), at most 10 MiB; the file is
 * readable in its own tenant only; firmware and diagnostics statuses land on the charger.
 */
const SECRET = 'assets test secret: long enough for upload tokens';
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ diagnosticsSecret: SECRET });
});
afterAll(async () => {
  await h?.stop();
});

const COMMANDER = ['station:read', 'station:write', 'charger:command'];
const CREATE_STATION = `mutation($input: CreateStationInput!) { createStation(input: $input) { station { id } userErrors { code } } }`;
const CREATE_CHARGER = `mutation($input: CreateChargerInput!) { createCharger(input: $input) { charger { id code } userErrors { code } } }`;
const GET_DIAG = `mutation($i: GetDiagnosticsInput!) { getChargerDiagnostics(input: $i) { command { id type status params } userErrors { code field message } } }`;
const UPDATE_FW = `mutation($i: UpdateFirmwareInput!) { updateChargerFirmware(input: $i) { command { id type status params } userErrors { code field message } } }`;
const FILES = `query($id: ID!) { charger(id: $id) { diagnosticsFiles { id fileName size sha256 receivedAt } diagnostics { status updatedAt } firmware { status updatedAt version } } }`;
const FILE = `query($id: ID!) { chargerDiagnosticsFile(id: $id) { id chargerId fileName size sha256 contentBase64 } }`;

async function aCharger(tenantId: string) {
  const token = await h.token(tenantId, { permissions: COMMANDER });
  const st = await h.gql(CREATE_STATION, token, { input: { code: `ST-${randomUUID().slice(0, 6)}`, name: 'Depot' } });
  const c = await h.gql(CREATE_CHARGER, token, {
    input: {
      stationId: st.body.data.createStation.station.id,
      code: `CP-${randomUUID().slice(0, 8)}`,
      protocol: 'OCPP16',
      currentType: 'AC',
      ratedPowerKw: '22',
    },
  });
  expect(c.body.data.createCharger.userErrors).toEqual([]);
  return { ...(c.body.data.createCharger.charger as { id: string; code: string }), token };
}

async function requestDiagnostics(cp: { id: string; token: string }, extra: Record<string, unknown> = {}) {
  const r = await h.gql(GET_DIAG, cp.token, { i: { chargerId: cp.id, idempotencyKey: randomUUID(), ...extra } });
  expect(r.body.data.getChargerDiagnostics.userErrors).toEqual([]);
  const command = r.body.data.getChargerDiagnostics.command as { id: string; params: { uploadId: string; location: string } };
  return { command, url: `${command.params.location}/${diagnosticsUploadToken(SECRET, command.params.uploadId)}` };
}

/** One HTTP request with node's client (so an early answer to a large body is read, not reset). */
function send(
  method: string,
  url: string,
  body: Buffer,
  opts: { headers?: Record<string, string>; chunked?: boolean } = {},
): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: { ...(opts.chunked ? {} : { 'content-length': String(body.length) }), ...opts.headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null });
      });
    });
    req.on('error', reject);
    // write in pieces: the server may answer before the end
    for (let i = 0; i < body.length; i += 1 << 20) req.write(body.subarray(i, i + (1 << 20)));
    req.end();
  });
}

describe('diagnostics uploads', () => {
  it('a GetDiagnostics command names its upload without the token; nothing stored holds the token', async () => {
    const t = h.tenant();
    const cp = await aCharger(t);
    const { command, url } = await requestDiagnostics(cp, { startTime: '2026-12-01T00:00:00Z', stopTime: '2026-12-02T00:00:00+08:00' });
    expect(command).toMatchObject({ type: 'GET_DIAGNOSTICS', status: 'PENDING' });
    expect(command.params).toEqual({
      uploadId: expect.any(String),
      location: `${h.origin}/diagnostics/${command.params.uploadId}`,
      startTime: '2026-12-01T00:00:00.000Z',
      stopTime: '2026-12-01T16:00:00.000Z',
    });
    const token = url.slice(url.lastIndexOf('/') + 1);
    const stored = await withTenant(h.knex, t, async (trx) => ({
      outbox: await trx('outbox').where({ tenant_id: t }).select('payload', 'headers'),
      audit: await trx('audit_log').where({ tenant_id: t }).select('after'),
      commands: await trx('charger_commands').where({ tenant_id: t }).select('params'),
      upload: await trx('charger_diagnostics').where({ id: command.params.uploadId }).first('token_hash', 'command_id'),
    }));
    expect(stored.outbox.length).toBeGreaterThan(0);
    expect(JSON.stringify([stored.outbox, stored.audit, stored.commands])).not.toContain(token);
    expect(stored.upload).toEqual({ token_hash: diagnosticsTokenHash(token), command_id: command.id });
  });

  it('takes the file once; the token again is refused (409), a wrong token is 404', async () => {
    const t = h.tenant();
    const cp = await aCharger(t);
    const { url } = await requestDiagnostics(cp);
    const content = Buffer.from('2026-12-03T09:00:00Z boot ok\n2026-12-03T09:05:00Z GroundFailure\n');
    const first = await send('PUT', url, content, { headers: { 'content-disposition': 'attachment; filename="diag-1.log"' } });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ size: content.length, sha256: createHash('sha256').update(content).digest('hex') });

    expect((await send('PUT', url, content)).status).toBe(409);
    expect((await send('POST', url, Buffer.from('other'))).body).toEqual({ code: 'DIAGNOSTICS_UPLOAD_SPENT' });
    const wrong = url.replace(/[0-9a-f]{64}$/, '0'.repeat(64));
    expect(await send('PUT', wrong, content)).toEqual({ status: 404, body: { code: 'DIAGNOSTICS_UPLOAD_NOT_FOUND' } });
    expect((await send('PUT', `${h.origin}/diagnostics/${randomUUID()}/${'a'.repeat(64)}`, content)).status).toBe(404);
    expect((await send('GET', url, Buffer.alloc(0))).status).toBe(405);

    const files = (await h.gql(FILES, cp.token, { id: cp.id })).body.data.charger.diagnosticsFiles;
    expect(files).toEqual([{ id: first.body.id, fileName: 'diag-1.log', size: content.length, sha256: first.body.sha256, receivedAt: expect.any(String) }]);
    const file = (await h.gql(FILE, cp.token, { id: first.body.id })).body.data.chargerDiagnosticsFile;
    expect(file).toMatchObject({ chargerId: cp.id, fileName: 'diag-1.log', size: content.length });
    expect(Buffer.from(file.contentBase64, 'base64').equals(content)).toBe(true);
  });

  it('refuses more than 10 MiB with 413 (declared or streamed); the upload stays open for a file that fits', async () => {
    const t = h.tenant();
    const cp = await aCharger(t);
    const { url } = await requestDiagnostics(cp);
    const big = Buffer.alloc(DIAGNOSTICS_MAX_BYTES + 1, 0x61);
    expect(await send('PUT', url, big)).toEqual({ status: 413, body: expect.objectContaining({ code: 'DIAGNOSTICS_TOO_LARGE' }) });
    expect((await send('POST', url, big, { chunked: true })).status).toBe(413);
    const exact = Buffer.alloc(DIAGNOSTICS_MAX_BYTES, 0x62);
    const ok = await send('PUT', url, exact);
    expect(ok.status).toBe(201);
    expect(ok.body.size).toBe(DIAGNOSTICS_MAX_BYTES);
  });

  it("another tenant can't read the file or list it; a reader without charger:command can't either", async () => {
    const t = h.tenant();
    const other = h.tenant();
    const cp = await aCharger(t);
    const theirs = await aCharger(other);
    const { url } = await requestDiagnostics(cp);
    const up = await send('PUT', url, Buffer.from('secret log'));
    expect(up.status).toBe(201);
    expect((await h.gql(FILE, theirs.token, { id: up.body.id })).body.data.chargerDiagnosticsFile).toBeNull();
    expect((await h.gql(FILES, theirs.token, { id: cp.id })).body.data.charger).toBeNull();
    const rows = await withTenant(h.knex, other, (trx) => trx('charger_diagnostics').select('id'));
    expect(rows).toEqual([]);
    // without charger:command, not even the own tenant's reader
    const viewer = await h.token(t, { permissions: ['station:read'] });
    const r = await h.gql(FILE, viewer, { id: up.body.id });
    expect(r.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('refuses a stop time before the start time', async () => {
    const cp = await aCharger(h.tenant());
    const r = await h.gql(GET_DIAG, cp.token, {
      i: { chargerId: cp.id, idempotencyKey: 'd-1', startTime: '2026-12-02T00:00:00Z', stopTime: '2026-12-01T00:00:00Z' },
    });
    expect(r.body.data.getChargerDiagnostics.userErrors).toEqual([{ code: 'INVALID', field: 'input.stopTime', message: expect.any(String) }]);
  });
});

describe('firmware', () => {
  it('updateChargerFirmware makes an UPDATE_FIRMWARE command; a bad URL is a user error', async () => {
    const cp = await aCharger(h.tenant());
    const r = await h.gql(UPDATE_FW, cp.token, {
      i: {
        chargerId: cp.id,
        idempotencyKey: 'fw-1',
        location: 'https://fw.example.com/2.1.bin',
        retrieveAt: '2026-12-04T02:00:00+08:00',
        retries: 2,
        retryIntervalSeconds: 60,
      },
    });
    expect(r.body.data.updateChargerFirmware).toEqual({
      command: {
        id: expect.any(String),
        type: 'UPDATE_FIRMWARE',
        status: 'PENDING',
        params: { location: 'https://fw.example.com/2.1.bin', retrieveDate: '2026-12-03T18:00:00.000Z', retries: 2, retryInterval: 60 },
      },
      userErrors: [],
    });
    const bad = await h.gql(UPDATE_FW, cp.token, {
      i: { chargerId: cp.id, idempotencyKey: 'fw-2', location: 'ftp://x/y', retrieveAt: '2026-12-04T02:00:00Z' },
    });
    expect(bad.body.data.updateChargerFirmware.userErrors).toEqual([{ code: 'INVALID', field: 'input.location', message: expect.any(String) }]);
    const noZone = await h.gql(UPDATE_FW, cp.token, {
      i: { chargerId: cp.id, idempotencyKey: 'fw-3', location: 'https://a.example.com/b', retrieveAt: '2026-12-04T02:00:00' },
    });
    expect(noZone.body.errors?.length).toBeGreaterThan(0);
    const viewer = await h.token(h.tenant(), { permissions: ['station:read'] });
    const denied = await h.gql(UPDATE_FW, viewer, {
      i: { chargerId: cp.id, idempotencyKey: 'fw-4', location: 'https://a.example.com/b', retrieveAt: '2026-12-04T02:00:00Z' },
    });
    expect(denied.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('keeps the last firmware and diagnostics status (by the charger’s time) and the booted version', async () => {
    const t = h.tenant();
    const cp = await aCharger(t);
    const ingest = new StatusIngestService(new PgStatusStore(h.knex));
    const ev = (type: string, at: string, data: Record<string, unknown>) =>
      ({
        id: randomUUID(),
        version: 1,
        tenantId: t,
        chargerId: cp.code,
        occurredAt: at,
        receivedAt: at,
        source: { protocol: 'OCPP16', bridgeId: 'b1' },
        type,
        data,
      }) as ChargerEvent;
    await ingest.apply(ev('charger.booted', '2026-12-03T09:00:00.000Z', { vendor: 'ABB', model: 'Terra', firmwareVersion: '2.0.9' }));
    await ingest.apply(ev('charger.notice', '2026-12-03T09:10:00.000Z', { kind: 'FIRMWARE', status: 'Downloading' }));
    await ingest.apply(ev('charger.notice', '2026-12-03T09:20:00.000Z', { kind: 'FIRMWARE', status: 'Installed' }));
    // late: older than what is kept
    await ingest.apply(ev('charger.notice', '2026-12-03T09:15:00.000Z', { kind: 'FIRMWARE', status: 'Installing' }));
    await ingest.apply(ev('charger.notice', '2026-12-03T09:30:00.000Z', { kind: 'DIAGNOSTICS', status: 'Uploading' }));
    const c = (await h.gql(FILES, cp.token, { id: cp.id })).body.data.charger;
    expect(c.firmware).toEqual({ status: 'Installed', updatedAt: '2026-12-03T09:20:00.000Z', version: '2.0.9' });
    expect(c.diagnostics).toEqual({ status: 'Uploading', updatedAt: '2026-12-03T09:30:00.000Z' });
  });
});
