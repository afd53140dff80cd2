import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '@evcs/platform';
import { REPO_ROOT } from '@evcs/testkit';
import { z } from 'zod';
import { chargePointId, runSimulators, ykcPileNo } from './index';
import { registerFleet, signIn } from './register';

const USAGE = `usage: node protocol-bridge/dist/src/simulator/cli.js [--url ws://127.0.0.1:4100/ocpp] [--count N] [--prefix SIM-]
         [--ykc-count M] [--ykc-host 127.0.0.1] [--ykc-port 4101] [--ykc-prefix 3201]
         [--connectors 2] [--interval-ms 5000] [--meter-values 6] [--start 1]
         [--demo | --router-url http://127.0.0.1:4000/graphql --tenant <code> --username <name>] [--station SIM-FLEET]
  N OCPP 1.6-J chargers and M YKC piles run realistic sessions (boot, status, start, meter values every interval, stop).
  Chargers must be registered: signed in (--demo: the npm start demo's operator admin, from .cache/demo-credentials.json;
  or --router-url/--tenant/--username with the password in SIM_PASSWORD), the simulator registers its fleet through the
  API (at --station), receives each OCPP charger's password and registers each YKC pile's login identity, then connects.
  A charger the bridge refuses for good (unknown, wrong credential, identity) stops with one line.
  SIM_CHARGER_PASSWORD (no sign-in): every OCPP charger uses this password (a bridge not backed by assets, benchmarks).`;

const Args = z.object({
  url: z.string().regex(/^wss?:\/\//, 'must be a ws:// or wss:// URL'),
  count: z.coerce.number().int().min(0).max(100_000),
  'ykc-count': z.coerce.number().int().min(0).max(100_000).default(0),
  'ykc-host': z.string().min(1).default('127.0.0.1'),
  'ykc-port': z.coerce.number().int().min(1).max(65535).default(4101),
  'ykc-prefix': z
    .string()
    .regex(/^\d{0,10}$/, 'digits only, at most 10')
    .default('3201'),
  'meter-values': z.coerce.number().int().min(1).max(1000).default(6),
  prefix: z.string().regex(/^[A-Za-z0-9*\-_=:+|@.]{0,40}$/, 'must use OCPP identity characters only'),
  connectors: z.coerce.number().int().min(1).max(255).default(2),
  'interval-ms': z.coerce.number().int().min(10).default(5000),
  start: z.coerce.number().int().min(0).max(9999).default(1),
  demo: z.boolean().default(false),
  'router-url': z.string().url().optional(),
  tenant: z.string().min(1).optional(),
  username: z.string().min(1).optional(),
  station: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/)
    .default('SIM-FLEET'),
});

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string', default: 'ws://127.0.0.1:4100/ocpp' },
      count: { type: 'string', default: '1' },
      'ykc-count': { type: 'string' },
      'ykc-host': { type: 'string' },
      'ykc-port': { type: 'string' },
      'ykc-prefix': { type: 'string' },
      'meter-values': { type: 'string' },
      prefix: { type: 'string', default: 'SIM-' },
      connectors: { type: 'string' },
      'interval-ms': { type: 'string' },
      start: { type: 'string' },
      demo: { type: 'boolean' },
      'router-url': { type: 'string' },
      tenant: { type: 'string' },
      username: { type: 'string' },
      station: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const parsed = Args.safeParse(values);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  --${i.path.join('.')}: ${i.message}`).join('\n');
    process.stderr.write(`${problems}\n${USAGE}\n`);
    process.exit(2);
  }
  const args = parsed.data;
  const logger = createLogger('simulator');
  logger.info({ url: args.url, count: args.count, prefix: args.prefix, ykcCount: args['ykc-count'] }, 'starting simulated chargers');
  const ocppIds = Array.from({ length: args.count }, (_, i) => chargePointId(args.prefix, args.start + i));
  const pileNos = Array.from({ length: args['ykc-count'] }, (_, i) => ykcPileNo(args['ykc-prefix'], 1 + i));
  let passwords = new Map<string, string>();
  const signedIn = await signInFromArgs(args);
  if (signedIn) {
    const registered = await registerFleet({
      ...signedIn,
      stationCode: args.station,
      ocpp: ocppIds,
      ykc: pileNos.map((pileNo) => ({ pileNo, guns: args.connectors })),
      connectors: args.connectors,
    });
    for (const r of registered.refused) logger.error({ chargerId: r.code }, `could not register ${r.code}: ${r.reason}`);
    passwords = registered.passwords;
    logger.info({ ocpp: registered.passwords.size, ykc: pileNos.length, station: args.station }, 'fleet registered through the API');
  } else if (process.env.SIM_CHARGER_PASSWORD) {
    // A bridge whose directory is not assets (benchmarks): one password for every OCPP charger, from the environment.
    const shared = process.env.SIM_CHARGER_PASSWORD;
    passwords = new Map(ocppIds.map((id) => [id, shared]));
  } else {
    logger.warn(
      'not signed in (--demo, or --router-url/--tenant/--username with SIM_PASSWORD): chargers must already be registered, and OCPP ones will have no password',
    );
  }
  const fleet = await runSimulators({
    url: args.url,
    password: (id) => passwords.get(id),
    count: args.count,
    prefix: args.prefix,
    startIndex: args.start,
    connectors: args.connectors,
    intervalMs: args['interval-ms'],
    meterValuesPerSession: args['meter-values'],
    ykc: args['ykc-count'] > 0 ? { host: args['ykc-host'], port: args['ykc-port'], count: args['ykc-count'], pilePrefix: args['ykc-prefix'] } : undefined,
    logger,
  });
  const report = setInterval(() => logger.info(fleet.stats(), 'simulators'), 10_000);
  const allRefused = setInterval(() => {
    if (fleet.stats().refused < ocppIds.length + pileNos.length) return;
    logger.error('every simulated charger was refused by the bridge; exiting');
    clearInterval(report);
    void fleet.stop().finally(() => process.exit(1));
  }, 1000);
  allRefused.unref();
  logger.info(fleet.stats(), 'simulators running; Ctrl-C to stop');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping simulators');
    clearInterval(report);
    fleet.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

/** Who the simulator registers its fleet as: the demo's operator admin, or the user named (password from SIM_PASSWORD, never argv). */
async function signInFromArgs(args: z.infer<typeof Args>): Promise<{ routerUrl: string; token: string } | null> {
  const routerUrl = args['router-url'] ?? 'http://127.0.0.1:4000/graphql';
  if (args.demo) {
    const file = path.join(REPO_ROOT, '.cache', 'demo-credentials.json');
    const creds = JSON.parse(readFileSync(file, 'utf8')) as { operatorAdmin: string };
    return { routerUrl, token: await signIn(routerUrl, args.tenant ?? 'demo-operator', args.username ?? 'admin', creds.operatorAdmin) };
  }
  if (!args.tenant && !args.username) return null;
  const password = process.env.SIM_PASSWORD;
  if (!args.tenant || !args.username || !password) throw new Error('signing in needs --tenant, --username and the password in SIM_PASSWORD');
  return { routerUrl, token: await signIn(routerUrl, args.tenant, args.username, password) };
}

main().catch((e: unknown) => {
  process.stderr.write(`simulator failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
