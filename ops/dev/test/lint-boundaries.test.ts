import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '@evcs/testkit';

/**
 * The layer lines the linter holds (eslint.config.mjs), checked against the real config:
 * a probe file placed in each layer with a forbidden import must be refused, and the same
 * import where it belongs must pass.
 */
describe('lint layer boundaries', () => {
  // ESLint's CLI with the repo's config (its API loads the config by dynamic import, which
  // jest's VM refuses). The probes don't exist on disk, so the type-aware parts are switched
  // off for them; the boundary rules need no types.
  const bin = path.join(REPO_ROOT, 'node_modules/eslint/bin/eslint.js');
  const off = ['no-floating-promises', 'no-misused-promises', 'await-thenable'].flatMap((r) => ['--rule', `@typescript-eslint/${r}: off`]);
  const lint = async (file: string, code: string): Promise<(string | null)[]> => {
    let out: string;
    try {
      out = execFileSync(process.execPath, [bin, '--stdin', '--stdin-filename', file, '--parser-options', 'projectService:false', ...off, '-f', 'json'], {
        cwd: REPO_ROOT,
        input: code,
        encoding: 'utf8',
      });
    } catch (e) {
      // exit 1: problems found (the JSON report is on stdout)
      out = (e as { stdout: string }).stdout;
    }
    const [r] = JSON.parse(out) as { messages: { ruleId: string | null }[] }[];
    return r.messages.map((m) => m.ruleId);
  };

  it('a domain file importing knex, pg, objection, graphql, type-graphql or prom-client fails', async () => {
    for (const lib of ['knex', 'pg', 'objection', 'graphql', 'type-graphql', 'prom-client']) {
      expect(await lint('subgraphs/orders/src/domain/probe.ts', `import x from '${lib}';\nexport const y = x;\n`)).toContain(
        '@typescript-eslint/no-restricted-imports',
      );
    }
    expect(await lint('subgraphs/orders/src/domain/probe.ts', "import type { X } from '../persistence/order-store';\nexport type Y = X;\n")).toContain(
      '@typescript-eslint/no-restricted-imports',
    );
  });

  it('a GraphQL file importing persistence types fails; domain types pass', async () => {
    expect(await lint('subgraphs/assets/src/graphql/probe.ts', "import type { X } from '../persistence/read-repository';\nexport type Y = X;\n")).toContain(
      '@typescript-eslint/no-restricted-imports',
    );
    expect(await lint('subgraphs/assets/src/graphql/probe.ts', "import type { CodeKey } from '../domain/read-model';\nexport type Y = CodeKey;\n")).toEqual([]);
  });

  it('SQL outside persistence fails; in persistence it passes', async () => {
    const sql = "export const q = (k: { raw(s: string): unknown }) => k.raw('select 1');\n";
    expect(await lint('subgraphs/orders/src/jobs/probe.ts', sql)).toContain('no-restricted-syntax');
    expect(await lint('subgraphs/orders/src/persistence/probe.ts', `import knex from 'knex';\nexport const k = knex;\n${sql}`)).toEqual([]);
  });
});
