import { ensureRoles } from '@evcs/platform';
import { ensureKafka, PG_SUPERUSER_URL } from '@evcs/testkit';

/**
 * Runs once before the test suites: start the real Kafka broker if none answers
 * (so parallel suites don't race to start it) and create the database roles.
 */
async function main(): Promise<void> {
  const t0 = Date.now();
  await ensureRoles(PG_SUPERUSER_URL);
  const brokers = await ensureKafka();
  console.log(`test infrastructure ready: postgres roles, kafka at ${brokers.join(',')} (${Date.now() - t0} ms)`);
}

main().catch((e) => {
  console.error('test infrastructure failed:', e instanceof Error ? e.message : e);
  process.exit(1);
});
