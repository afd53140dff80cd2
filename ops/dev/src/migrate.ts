import { parseEnv } from '@evcs/platform';
import { prepareDatabase } from './database';
import { MigrateEnv } from './migrate-env';

/**
 * The deployment's migration job (compose's `migrate`, Kubernetes' Job): create the roles and the
 * database if missing, give the roles their passwords when the deployment has them, and run every
 * subgraph's and the bridge's migrations as the owner role. Idempotent, and safe to run while an
 * older version serves (migrations only add; see docs/operations.md, upgrades).
 */
async function main(): Promise<void> {
  const env = parseEnv(MigrateEnv);
  const t0 = Date.now();
  await prepareDatabase(env.PG_SUPERUSER_URL, env.EVCS_DATABASE, { owner: env.EVCS_OWNER_PASSWORD, app: env.EVCS_APP_PASSWORD });
  process.stdout.write(`database ${env.EVCS_DATABASE} migrated (${Date.now() - t0} ms)\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`migrate failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
