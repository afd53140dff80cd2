import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { dropDatabase } from '@evcs/platform';
import { PG_SUPERUSER_URL, uniqueName } from '@evcs/testkit';
import { startStack } from '../stack';
import { runExamples } from './api-examples';
import { REPO_ROOT } from './artifacts';
import { EXAMPLE_TENANT, exampleTarget } from './example-tenant';
import { fillExamples } from './examples-doc';

/**
 * `npm run docs:examples`: the whole platform on ephemeral ports and a database of its own, the
 * examples run against it, and their real requests and responses written into docs/api/examples.md.
 */
async function main(): Promise<void> {
  const database = uniqueName('evcs_docs_examples');
  const stack = await startStack({ database, kafkaNamespace: uniqueName('docs_examples'), ports: 'ephemeral', quiet: true });
  try {
    await stack.seedTenant(EXAMPLE_TENANT);
    const runs = await runExamples(exampleTarget(stack), { idempotencyKey: (what) => `${what}-${randomUUID()}` });
    const file = path.join(REPO_ROOT, 'docs/api/examples.md');
    writeFileSync(file, fillExamples(readFileSync(file, 'utf8'), runs));
    console.log(`wrote ${runs.length} examples into docs/api/examples.md`);
  } finally {
    await stack.stop();
    await dropDatabase(PG_SUPERUSER_URL, database);
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e instanceof Error ? e.stack : e);
    process.exit(1);
  },
);
