import { parseArgs } from 'node:util';
import { createLogger } from '@evcs/platform';
import { z } from 'zod';
import { runSimulators } from './index';

const USAGE = `usage: node protocol-bridge/dist/src/simulator/cli.js [--url ws://127.0.0.1:4100/ocpp] [--count N] [--prefix SIM-]
         [--ykc-count M] [--ykc-host 127.0.0.1] [--ykc-port 4101] [--ykc-prefix 3201]
         [--connectors 2] [--interval-ms 5000] [--meter-values 6] [--start 1]
  N OCPP 1.6-J chargers and M YKC piles run realistic sessions (boot, status, start, meter values every interval, stop).`;

const Args = z.object({
  url: z.string().regex(/^wss?:\/\//, 'must be a ws:// or wss:// URL'),
  count: z.coerce.number().int().min(0).max(100_000),
  'ykc-count': z.coerce.number().int().min(0).max(100_000).default(0),
  'ykc-host': z.string().min(1).default('127.0.0.1'),
  'ykc-port': z.coerce.number().int().min(1).max(65535).default(4101),
  'ykc-prefix': z.string().regex(/^\d{0,10}$/, 'digits only, at most 10').default('3201'),
  'meter-values': z.coerce.number().int().min(1).max(1000).default(6),
  prefix: z.string().regex(/^[A-Za-z0-9*\-_=:+|@.]{0,40}$/, 'must use OCPP identity characters only'),
  connectors: z.coerce.number().int().min(1).max(255).default(2),
  'interval-ms': z.coerce.number().int().min(10).default(5000),
  start: z.coerce.number().int().min(0).max(9999).default(1),
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
  const fleet = await runSimulators({
    url: args.url,
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

main().catch((e: unknown) => {
  process.stderr.write(`simulator failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
