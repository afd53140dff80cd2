import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { dropDatabase } from '@evcs/platform';
import { PG_SUPERUSER_URL, uniqueName } from '@evcs/testkit';
import { EXAMPLES, redact, runExamples, shapeOf, type ExampleId, type ExampleRun } from '../src/docs/api-examples';
import { REPO_ROOT } from '../src/docs/artifacts';
import { EXAMPLE_TENANT, exampleTarget } from '../src/docs/example-tenant';
import { parseExamples } from '../src/docs/examples-doc';
import { Stack, startStack } from '../src/stack';

/**
 * docs/api/examples.md against the running platform: every example's request is sent as the
 * document shows it (its query, its variables with this run's ids), and the answer must have the
 * documented shape. A change to one of these operations fails here until `npm run docs:examples`.
 */
describe('end to end: the API examples in docs/api/examples.md', () => {
  let stack: Stack;
  let runs: ExampleRun[];
  const database = uniqueName('evcs_e2e_examples');
  const documented = parseExamples(readFileSync(path.join(REPO_ROOT, 'docs/api/examples.md'), 'utf8'));

  beforeAll(async () => {
    stack = await startStack({ database, kafkaNamespace: uniqueName('e2e_examples'), ports: 'ephemeral', quiet: true });
    await stack.seedTenant(EXAMPLE_TENANT);
    runs = await runExamples(exampleTarget(stack), { idempotencyKey: (what) => `${what}-${randomUUID()}` });
  });
  afterAll(async () => {
    await stack?.stop();
    await dropDatabase(PG_SUPERUSER_URL, database);
  });

  it('documents every example', () => {
    expect([...documented.keys()].sort()).toEqual(Object.keys(EXAMPLES).sort());
    expect(runs.map((r) => r.id).sort()).toEqual(Object.keys(EXAMPLES).sort());
  });

  it.each(Object.keys(EXAMPLES) as ExampleId[])('%s: the documented request is the one sent, and its answer has the documented shape', (id) => {
    const run = runs.find((r) => r.id === id)!;
    const doc = documented.get(id)!;
    expect(doc.query).toBe(run.query);
    expect(shapeOf(doc.variables)).toEqual(shapeOf(redact(run.variables)));
    // no request failed as a whole, and every mutation succeeded
    expect((run.response as { errors?: unknown }).errors).toBeUndefined();
    const data = (run.response as { data: Record<string, { userErrors?: unknown[] }> }).data;
    for (const payload of Object.values(data)) if (payload && 'userErrors' in payload) expect(payload.userErrors).toEqual([]);
    expect(shapeOf(redact(run.response))).toEqual(shapeOf(doc.response));
  });
});
