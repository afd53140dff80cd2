import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { dropDatabase } from '@evcs/platform';
import { eventually, PG_SUPERUSER_URL, REPO_ROOT, uniqueName } from '@evcs/testkit';
import { DemoTenant, Stack, startStack } from '../src/stack';

const CLI = path.join(REPO_ROOT, 'protocol-bridge/dist/src/simulator/cli.js');

/**
 * `npm run simulate` as a new user runs it, against the whole platform (every
 * service a real process): without a sign-in its chargers are not registered
 * and each stops with one line; signed in, it registers its fleet through the
 * router (a new station, new OCPP chargers, a new YKC pile, and a pile the
 * operator had registered already), receives the OCPP passwords, registers the
 * piles' login identities, and every charger comes online.
 */
describe('end to end: the simulator registers its fleet through the API and connects with its credentials', () => {
  let stack: Stack;
  const database = uniqueName('evcs_e2e_sim');
  const prefix = `SIM${randomUUID().slice(0, 4)}-`;
  const pilePrefix = `33${String(Date.now()).slice(-4)}`;
  const seededPile = `${pilePrefix}${'1'.padStart(14 - pilePrefix.length, '0')}`;
  const tenant: DemoTenant = {
    id: randomUUID(),
    code: uniqueName('op_sim'),
    name: 'Simulating Operator',
    users: [{ username: 'sim-admin', password: 'sim admin password 1', roles: ['OPERATOR_ADMIN'] }],
    // one pile registered by the operator beforehand, without its identity
    stations: [{ code: 'SIM-HOME', name: 'Home', chargers: [{ code: seededPile, connectors: 2 }] }],
  };
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    stack = await startStack({ database, kafkaNamespace: uniqueName('e2e'), ports: 'ephemeral', quiet: true, routers: 1 });
    await stack.seedTenant(tenant);
  });
  afterAll(async () => {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once('exit', r)) : Promise.resolve())));
    await stack?.stop();
    await dropDatabase(PG_SUPERUSER_URL, database);
  });

  function simulate(args: string[], env: Record<string, string> = {}): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
    const child = spawn(
      process.execPath,
      [CLI, '--url', stack.bridgeUrl, '--ykc-host', stack.ykcAddress.host, '--ykc-port', String(stack.ykcAddress.port), '--interval-ms', '300', ...args],
      { env: { ...process.env, LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(child);
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    return { child, output: () => out, exited: new Promise((r) => child.once('exit', (code) => r(code))) };
  }

  async function chargers(): Promise<{ code: string; online: boolean }[]> {
    const res = await fetch(stack.routerUrls[0], {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await stack.tokenFor(tenant.id)}` },
      body: JSON.stringify({ query: '{ chargers(first: 50) { edges { node { code online } } } }' }),
    });
    return ((await res.json()) as any).data.chargers.edges.map((e: { node: { code: string; online: boolean } }) => e.node);
  }

  it('without a sign-in, unregistered chargers are refused and stop with one line each; the simulator exits', async () => {
    const run = simulate(['--count', '2', '--prefix', `UNREG${prefix}`]);
    expect(await run.exited).toBe(1);
    const refusals = run
      .output()
      .split('\n')
      .filter((l) => l.includes('refused by the bridge (HTTP'));
    expect(refusals).toHaveLength(2);
    expect(refusals[0]).toContain('HTTP 404: not registered');
  });

  it('signed in, it registers the fleet, gets the credentials and every charger comes online', async () => {
    simulate(
      [
        '--count',
        '2',
        '--prefix',
        prefix,
        '--ykc-count',
        '2',
        '--ykc-prefix',
        pilePrefix,
        '--router-url',
        stack.routerUrls[0],
        '--tenant',
        tenant.code,
        '--username',
        'sim-admin',
        '--station',
        'SIM-FLEET',
      ],
      {
        SIM_PASSWORD: 'sim admin password 1',
      },
    );
    const expected = [`${prefix}0001`, `${prefix}0002`, seededPile, `${pilePrefix}${'2'.padStart(14 - pilePrefix.length, '0')}`].sort();
    const online = await eventually(
      async () => {
        const list = await chargers();
        const on = list
          .filter((c) => c.online)
          .map((c) => c.code)
          .sort();
        return on.length === expected.length ? on : undefined;
      },
      { timeoutMs: 60_000, what: 'the whole simulated fleet online' },
    );
    expect(online).toEqual(expected);
  });
});
