import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createLogger, EventBus, hashChargerPassword, listen } from '@evcs/platform';
import { eventually } from '@evcs/testkit';
import { UnexpectedHttpResponse } from 'ocpp-rpc';
import { bridgeConfig } from '../src/config';
import { recheckCredential } from '../src/connections/credential-check';
import { MemoryBridgeStore } from '../src/persistence/memory-store';
import { Bridge, createBridge } from '../src/server';
import { SimulatedChargePoint } from '../src/simulator';
import { testDirectory, TEST_CHARGER_PASSWORD } from './support';

const exec = promisify(execFile);

/** Publishes into the void: these tests are about the handshake. */
const nullBus: EventBus = {
  publish: async () => undefined,
  subscribe: () => Promise.reject(new Error('not in this test')),
  ensureTopics: async () => undefined,
  close: async () => undefined,
};

const statusOf = (p: Promise<unknown>) =>
  p.then(
    () => 'connected',
    (e: unknown) => (e instanceof UnexpectedHttpResponse ? e.code : String(e)),
  );

describe('OCPP security profiles 1 (Basic) and 2 (TLS + Basic)', () => {
  const tenantId = randomUUID();
  const strictTenant = randomUUID();
  const logger = createLogger('security-test', { level: process.env.LOG_LEVEL ?? 'silent' });
  const store = new MemoryBridgeStore();
  const directory = testDirectory({
    'SEC-1': { tenantId, chargerId: randomUUID() },
    // no password: let in (profile 0) only while its tenant commissions that way
    'SEC-OPEN': { tenantId, chargerId: randomUUID(), credentialHash: null, allowProfile0Commissioning: true },
    'SEC-STRICT': { tenantId: strictTenant, chargerId: randomUUID(), credentialHash: null },
    'SEC-TLS': { tenantId, chargerId: randomUUID(), securityProfile: 2 },
    'SEC-NET': { tenantId, chargerId: randomUUID(), allowedSourceCidrs: ['10.9.0.0/16'] },
    // revoked at assets: no hash, and its tenant's profile-0 commissioning must not let it in either
    'SEC-REVOKED': { tenantId, chargerId: randomUUID(), credentialHash: null, allowProfile0Commissioning: true, credentialRevokedAt: new Date().toISOString() },
    'SEC-LIVE': { tenantId, chargerId: randomUUID() },
  });
  const password = TEST_CHARGER_PASSWORD;
  let plain: Bridge;
  let tls: Bridge;
  let certDir: string;
  let ca: string;
  let plainUrl: string;
  let tlsUrl: string;
  const cps: SimulatedChargePoint[] = [];
  const cp = (url: string, id: string, pw?: string, wsOpts?: Record<string, unknown>) => {
    const c = new SimulatedChargePoint({ url, id, password: pw, wsOpts });
    cps.push(c);
    return c;
  };

  beforeAll(async () => {
    // A throwaway self-signed certificate for localhost; never committed.
    certDir = await mkdtemp(path.join(os.tmpdir(), 'bridge-tls-'));
    await exec('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      path.join(certDir, 'key.pem'),
      '-out',
      path.join(certDir, 'cert.pem'),
    ]);
    const key = await readFile(path.join(certDir, 'key.pem'), 'utf8');
    ca = await readFile(path.join(certDir, 'cert.pem'), 'utf8');
    const config = bridgeConfig({ bridgeId: 'sec', topic: 'unused' });
    plain = createBridge({ bus: nullBus, directory, logger, store, config });
    tls = createBridge({ bus: nullBus, directory, logger, store, config, tls: { key, cert: ca } });
    plainUrl = `ws://127.0.0.1:${await listen(plain.httpServer, 0)}/ocpp`;
    tlsUrl = `wss://127.0.0.1:${await listen(tls.httpServer, 0)}/ocpp`;
  });

  afterAll(async () => {
    await Promise.allSettled(cps.map((c) => c.close()));
    await plain?.close();
    await tls?.close();
    if (certDir) await rm(certDir, { recursive: true, force: true });
  });

  it('profile 1: the right password gets in; a wrong or missing one is 401', async () => {
    expect(await statusOf(cp(plainUrl, 'SEC-1', password).connect())).toBe('connected');
    expect(await statusOf(cp(plainUrl, 'SEC-1', 'wrong-password-123').connect())).toBe(401);
    expect(await statusOf(cp(plainUrl, 'SEC-1').connect())).toBe(401);
  });

  it('a charger without a password is refused unless its tenant allows profile-0 commissioning', async () => {
    expect(await statusOf(cp(plainUrl, 'SEC-OPEN').connect())).toBe('connected');
    expect(await statusOf(cp(plainUrl, 'SEC-STRICT').connect())).toBe(401);
    expect(await statusOf(cp(plainUrl, 'SEC-STRICT', password).connect())).toBe(401);
    expect(await plain.diagnostics.metrics.get('OCPP16', 'refused_no_credential')).toBe(2);
  });

  it('a charger whose credential was revoked is refused (401) whatever it sends, profile-0 commissioning or not', async () => {
    expect(await statusOf(cp(plainUrl, 'SEC-REVOKED', password).connect())).toBe(401);
    expect(await statusOf(cp(plainUrl, 'SEC-REVOKED').connect())).toBe(401);
    expect(await plain.diagnostics.metrics.get('OCPP16', 'refused_credential_revoked')).toBe(2);
  });

  it('a live connection ends when the credential it was admitted with is rotated or revoked, and not on other changes', async () => {
    const reg = (await directory.resolve('SEC-LIVE'))!;
    const change = { tenantId, code: 'SEC-LIVE', chargerId: reg.chargerId, retired: false, credentialRevoked: false };
    const deps = { directory, registry: plain.registry, logger, count: () => undefined };
    const live = cp(plainUrl, 'SEC-LIVE', password);
    await live.connect();
    await live.boot();
    // a change that leaves its credential alone (a connector added, a move) keeps it
    await recheckCredential(deps, change);
    expect(live.isOpen).toBe(true);
    // rotated: the hash it was admitted with is not the current one
    directory.update('SEC-LIVE', { credentialHash: await hashChargerPassword('a-rotated-password-0001') });
    await recheckCredential(deps, change);
    await eventually(async () => !live.isOpen, { timeoutMs: 5_000, what: 'the rotated connection closed' });
    const again = cp(plainUrl, 'SEC-LIVE', 'a-rotated-password-0001');
    await again.connect();
    await again.boot();
    // revoked: the event says so, nothing needs asking
    await recheckCredential(deps, { ...change, credentialRevoked: true });
    await eventually(async () => !again.isOpen, { timeoutMs: 5_000, what: 'the revoked connection closed' });
  });

  it('a profile-2 charger is refused on plain ws://, even with its password; a charger is refused outside its networks', async () => {
    expect(await statusOf(cp(plainUrl, 'SEC-TLS', password).connect())).toBe(403);
    expect(await statusOf(cp(tlsUrl, 'SEC-TLS', password, { ca }).connect())).toBe('connected');
    expect(await statusOf(cp(plainUrl, 'SEC-NET', password).connect())).toBe(403);
    expect(await plain.diagnostics.metrics.get('OCPP16', 'refused_tls_required')).toBe(1);
    expect(await plain.diagnostics.metrics.get('OCPP16', 'refused_source_network')).toBe(1);
  });

  it('profile 2: TLS with Basic auth, the charger checking the server certificate', async () => {
    const ok = cp(tlsUrl, 'SEC-1', password, { ca });
    expect(await statusOf(ok.connect())).toBe('connected');
    expect((await ok.boot()).status).toBe('Accepted');
    expect(await statusOf(cp(tlsUrl, 'SEC-1', 'nope-nope-nope-nope', { ca }).connect())).toBe(401);
    // A charger that doesn't trust the certificate never gets to send its password.
    expect(await statusOf(cp(tlsUrl, 'SEC-1', password).connect())).toMatch(/self-signed|certificate/i);
  });
});
