import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '@evcs/testkit';

/**
 * A misconfigured service says everything that is wrong in one message and exits before it
 * connects anywhere: its Postgres and Kafka here are listeners that count connections.
 */
describe('start-up with a bad environment (real processes)', () => {
  let listener: net.Server;
  let port = 0;
  let connections = 0;

  beforeAll(async () => {
    listener = net.createServer((s) => {
      connections++;
      s.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    port = (listener.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => listener.close(() => resolve())));

  function start(pkgDir: string, env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
    return run(path.join(REPO_ROOT, pkgDir, 'dist/src/main.js'), env).done;
  }

  function run(script: string, env: Record<string, string>, onStdout?: (text: string, child: ReturnType<typeof spawn>) => void) {
    const child = spawn(process.execPath, [script], {
      // only what is given: nothing of the test runner's environment leaks in
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: `postgres://evcs_app@127.0.0.1:${port}/evcs`, KAFKA_BROKERS: `127.0.0.1:${port}`, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      onStdout?.(stdout, child);
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const done = new Promise<{ code: number | null; stderr: string; stdout: string }>((resolve) =>
      child.on('close', (code) => {
        clearTimeout(killer);
        resolve({ code, stderr, stdout });
      }),
    );
    return { done };
  }

  it('orders: a bad common variable and a bad orders variable, both in one message, exit 1, nothing connected', async () => {
    const r = await start('subgraphs/orders', {
      INTERNAL_JWKS_FILE: '/nonexistent/jwks.json',
      ORDERS_SIGNING_KEY_FILE: '/nonexistent/orders.jwk',
      KAFKA_NAMESPACE: 'Not A Namespace',
      RECONCILIATION_TIMEZONE: 'Mars/Olympus_Mons',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/orders failed to start: Invalid environment:/);
    expect(r.stderr).toContain('KAFKA_NAMESPACE');
    expect(r.stderr).toContain('RECONCILIATION_TIMEZONE');
    // one message: both problems before the first (missing files would come later, and don't)
    expect(r.stderr.match(/failed to start/g)).toHaveLength(1);
    expect(r.stderr).not.toContain('nonexistent');
    expect(connections).toBe(0);
  });

  it('a missing required variable of the subgraph is reported with the common ones', async () => {
    const r = await start('subgraphs/payments', { PORT: 'not-a-port', PAYMENTS_MERCHANT_TENANT_ID: 'not-a-uuid' });
    expect(r.code).toBe(1);
    for (const name of ['PORT', 'INTERNAL_JWKS_FILE', 'PAYMENTS_MERCHANT_TENANT_ID']) expect(r.stderr).toContain(name);
    expect(connections).toBe(0);
  });

  it('router and bridge follow the same convention', async () => {
    const router = await start('router', { LOG_LEVEL: 'loud', AUTH_JWKS_FILE: '/nonexistent/jwks.json' });
    expect(router.code).toBe(1);
    expect(router.stderr).toMatch(/router failed to start: Invalid environment:/);
    expect(router.stderr).toContain('LOG_LEVEL');
    expect(router.stderr).toContain('ROUTER_SIGNING_KEY_FILE');
    const bridge = await start('protocol-bridge', { KAFKA_NAMESPACE: 'UPPER', HEARTBEAT_INTERVAL_S: '0', BRIDGE_SIGNING_KEY_FILE: '/nonexistent/bridge.jwk' });
    expect(bridge.code).toBe(1);
    expect(bridge.stderr).toMatch(/protocol-bridge failed to start: Invalid environment:/);
    expect(bridge.stderr).toContain('KAFKA_NAMESPACE');
    expect(bridge.stderr).toContain('HEARTBEAT_INTERVAL_S');
    expect(connections).toBe(0);
  });

  it('a declared job runs until SIGTERM, which aborts the run in progress and drains cleanly', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'jobs-fixture-'));
    try {
      const jwks = path.join(dir, 'jwks.json');
      writeFileSync(jwks, JSON.stringify({ keys: [] }));
      let signalled = false;
      const r = await run(path.join(__dirname, 'fixtures/job-main.js'), { INTERNAL_JWKS_FILE: jwks, LOG_LEVEL: 'silent' }, (out, child) => {
        // the second run has started: stop while it is in progress
        if (!signalled && (out.match(/run started/g) ?? []).length >= 2) {
          signalled = true;
          child.kill('SIGTERM');
        }
      }).done;
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines.filter((l) => l === 'run started').length).toBeGreaterThanOrEqual(2);
      // never two runs at once: starts and ends alternate; the last one ended by the drain
      lines.forEach((l, i) => expect(l).toBe(i % 2 === 0 ? 'run started' : i === lines.length - 1 ? 'run aborted' : 'run ended'));
      expect(lines.length % 2).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [undefined, '127.0.0.1'],
    ['::1', '::1'],
    ['0.0.0.0', '0.0.0.0'],
  ])('a subgraph binds HOST=%s (listens on %s)', async (host, expected) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'listen-fixture-'));
    try {
      const jwks = path.join(dir, 'jwks.json');
      writeFileSync(jwks, JSON.stringify({ keys: [] }));
      let address: { address: string; port: number } | undefined;
      const r = await run(
        path.join(__dirname, 'fixtures/listen-main.js'),
        { INTERNAL_JWKS_FILE: jwks, LOG_LEVEL: 'silent', ...(host ? { HOST: host } : {}) },
        (out, child) => {
          if (address || !out.includes('\n')) return;
          address = JSON.parse(out.split('\n')[0]) as { address: string; port: number };
          child.kill('SIGTERM');
        },
      ).done;
      expect(r.stderr).toBe('');
      expect(address?.address).toBe(expected);
      expect(address?.port).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
