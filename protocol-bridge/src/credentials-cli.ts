import { parseArgs } from 'node:util';
import { createKnex } from '@evcs/platform';
import { z } from 'zod';
import { hashChargerPassword } from './ocpp/credentials';
import { PgBridgeStore } from './persistence/pg-store';

const USAGE = `usage: DATABASE_URL=postgres://… node protocol-bridge/dist/src/credentials-cli.js --tenant <uuid> --charger <code> < password-file
  Sets a charger's OCPP Basic-auth password (security profiles 1 and 2). The password is read from stdin
  (16–40 characters, per OCPP), stored as an scrypt hash in bridge.charger_credentials.`;

const Args = z.object({
  tenant: z.string().uuid(),
  charger: z.string().regex(/^[A-Za-z0-9*\-_=:+|@.]{1,48}$/),
});

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { tenant: { type: 'string' }, charger: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) return void process.stdout.write(`${USAGE}\n`);
  const args = Args.safeParse(values);
  const url = process.env.DATABASE_URL;
  if (!args.success || !url) {
    process.stderr.write(`${args.success ? 'DATABASE_URL is required' : args.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('\n')}\n${USAGE}\n`);
    process.exit(2);
  }
  const password = await readStdin();
  if (password.length < 16 || password.length > 40) {
    process.stderr.write('the password must be 16 to 40 characters (OCPP 1.6 security whitepaper)\n');
    process.exit(2);
  }
  const store = new PgBridgeStore(createKnex({ connectionString: url, schema: 'bridge', pool: { max: 1 } }));
  try {
    await store.setPasswordHash(args.data.tenant, args.data.charger, await hashChargerPassword(password));
    process.stdout.write(`password set for ${args.data.charger}\n`);
  } finally {
    await store.close();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`credentials: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
