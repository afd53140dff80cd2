import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defineCodes, describeCodes } from '@evcs/platform';
import { z } from 'zod';
import { REPO_ROOT, staleDocs, staleMessage, type GeneratedDocs } from '../src/docs/artifacts';
import { renderConfigurationReference, rows, SERVICE_ENVS, shownDefault, typeOf, variablesOf } from '../src/docs/env-reference';
import { codesOf, literalCodes, REGISTRIES } from '../src/docs/error-catalogue';
import { mermaidBlocks } from '../src/docs/mermaid';
import { coveredBy, OTHER_VARIABLES } from '../src/docs/other-env';

// Every workspace's TypeScript source (not tests, not build output).
const SOURCE_ROOTS = ['packages', 'subgraphs', 'router', 'protocol-bridge', 'schema', 'ops'];
function sources(): { file: string; text: string }[] {
  return SOURCE_ROOTS.flatMap((r) =>
    readdirSync(path.join(REPO_ROOT, r), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
      .map((e) => path.relative(REPO_ROOT, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
      .filter((f) => /\/src\//.test(f) && !/(^|\/)(node_modules|dist)\//.test(f))
      .map((file) => ({ file, text: readFileSync(path.join(REPO_ROOT, file), 'utf8') })),
  );
}

describe('generated docs', () => {
  it('are what the code generates (else: npm run docs:write)', () => {
    // a process of its own: GraphQL-Markdown loads its plugins with import(), which jest's module sandbox refuses
    const run = spawnSync(process.execPath, [path.join(REPO_ROOT, 'ops/dev/dist/src/docs/cli.js'), 'check'], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(run.stderr || `docs check exited ${run.status}`);
    expect(run.stdout).toContain('generated docs up to date');
  });

  it('name every variable of every service schema, and the API reference the root fields', () => {
    const reference = renderConfigurationReference();
    for (const { schema } of SERVICE_ENVS) {
      const shape = (schema instanceof z.ZodEffects ? schema.innerType() : schema) as z.AnyZodObject;
      for (const name of Object.keys(shape.shape)) expect(reference).toContain(`| \`${name}\` |`);
    }
    const api = path.join(REPO_ROOT, 'docs/api/reference');
    expect(readFileSync(path.join(api, 'operations/mutations/start-charging.md'), 'utf8')).toContain('Start charging on a connector');
    expect(readFileSync(path.join(api, 'README.md'), 'utf8')).toContain('(operations/subscriptions/connector-status-changed.md)');
  });

  it('every schema field has a description', () => {
    const missing = SERVICE_ENVS.flatMap((e) => variablesOf(e.service, e.schema).filter((v) => !v.description)).map((v) => `${v.service}: ${v.name}`);
    if (missing.length) throw new Error(`env schema fields without .describe() (give each one, then run \`npm run docs:write\`):\n  ${missing.join('\n  ')}`);
  });
});

describe('Mermaid diagrams', () => {
  it('are found in Markdown, and one that does not parse is named by file and line', () => {
    expect(mermaidBlocks('# x\n\n```mermaid\nsequenceDiagram\n  A->>B: hi\n```\n').map((b) => b.line)).toEqual([3]);
    const root = mkdtempSync(path.join(tmpdir(), 'evcs-mermaid-'));
    try {
      mkdirSync(path.join(root, 'docs'));
      writeFileSync(path.join(root, 'README.md'), '# ok\n\n```mermaid\nsequenceDiagram\n  A->>B: hi\n```\n');
      writeFileSync(path.join(root, 'docs/broken.md'), 'text\n```mermaid\nflowchart LR\n  A[x] -- y -->\n```\n');
      // its own process: Mermaid is loaded with import(), which jest's sandbox refuses
      const script = `require(${JSON.stringify(path.join(REPO_ROOT, 'ops/dev/dist/src/docs/mermaid.js'))}).mermaidProblems(${JSON.stringify(root)}).then((p) => console.log(JSON.stringify(p)))`;
      const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
      expect(run.status).toBe(0);
      const problems = JSON.parse(run.stdout.trim().split('\n').pop()!) as string[];
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^docs\/broken\.md:2: the Mermaid diagram does not parse/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('staleness', () => {
  it('names what differs, what is missing and what is left over, and the command that regenerates', () => {
    const fake: GeneratedDocs = {
      files: new Map([
        ['docs/errors.md', 'not what is committed'],
        ['docs/nowhere.md', 'x'],
      ]),
      ownedDirs: ['docs/api/reference'],
    };
    const stale = staleDocs(fake);
    expect(stale).toEqual(
      expect.arrayContaining(['docs/errors.md (differs)', 'docs/nowhere.md (missing)', 'docs/api/reference/README.md (no longer generated)']),
    );
    expect(staleMessage(stale)).toMatch(/run `npm run docs:write`/);
    expect(staleMessage(Array.from({ length: 25 }, (_, i) => `f${i}`))).toMatch(/… and 5 more$/);
  });
});

describe('configuration reference', () => {
  it('shows types, ranges and formats from the schema', () => {
    expect(typeOf({ type: 'integer', minimum: 0, maximum: 65535 })).toBe('integer 0–65535');
    expect(typeOf({ type: 'integer', minimum: 1 })).toBe('integer ≥ 1');
    expect(typeOf({ type: 'string', format: 'uri' })).toBe('URL');
    expect(typeOf({ type: 'string', enum: ['ecb', 'cbc'] })).toBe('one of `ecb`, `cbc`');
  });

  it('shows a machine-made default by what it is made of', () => {
    expect(shownDefault('box-1234', { host: 'box', pid: 1234 })).toBe('<hostname>-<pid>');
    expect(shownDefault(undefined)).toBeUndefined();
  });

  it('merges services that read a variable alike and lists differing defaults per service', () => {
    const a = z.object({ PORT: z.coerce.number().int().default(1).describe('port'), X: z.string().describe('x') });
    const b = z.object({ PORT: z.coerce.number().int().default(2).describe('port'), X: z.string().optional().describe('x') });
    const r = rows([...variablesOf('a', a), ...variablesOf('b', b)]);
    expect(r.find((x) => x.name === 'PORT')).toMatchObject({ readBy: 'a, b', default: 'a: `1`; b: `2`' });
    expect(r.filter((x) => x.name === 'X').map((x) => [x.readBy, x.default])).toEqual([
      ['a', '**required**'],
      ['b', 'unset'],
    ]);
  });

  it('documents every variable the source reads outside the schemas', () => {
    const inSchemas = new Set(SERVICE_ENVS.flatMap((e) => variablesOf(e.service, e.schema).map((v) => v.name)));
    const undocumented = sources().flatMap(({ file, text }) =>
      [...text.matchAll(/process\.env(?:\.([A-Z][A-Z0-9_]*)|\[\s*'([A-Z][A-Z0-9_]*)'\s*\])/g)]
        .map((m) => m[1] ?? m[2])
        .filter((name) => !inSchemas.has(name) && !OTHER_VARIABLES.some((v) => coveredBy(v)(name)))
        .map((name) => `${file}: ${name} (add it to a service's env schema, or to ops/dev/src/docs/other-env.ts)`),
    );
    expect(undocumented).toEqual([]);
  });

  it('lists, patterns and exact names cover what they say', () => {
    expect(coveredBy({ name: 'SUBGRAPH_URL_<NAME>', readBy: '', description: '' })('SUBGRAPH_URL_ORDERS')).toBe(true);
    expect(coveredBy({ name: 'OTEL_*', readBy: '', description: '' })('OTEL_SERVICE_NAME')).toBe(true);
    expect(coveredBy({ name: 'A, B', readBy: '', description: '' })('B')).toBe(true);
    expect(coveredBy({ name: 'A, B', readBy: '', description: '' })('AB')).toBe(false);
  });
});

describe('error catalogue', () => {
  it('reads codes and meanings back from a registry, a code that differs from its key included', () => {
    const codes = defineCodes({ NOT_FOUND: 'gone', INTERNAL: { code: 'INTERNAL_SERVER_ERROR', meaning: 'oops' } });
    expect(codes.INTERNAL).toBe('INTERNAL_SERVER_ERROR');
    expect(describeCodes(codes)).toEqual([
      { code: 'NOT_FOUND', meaning: 'gone' },
      { code: 'INTERNAL_SERVER_ERROR', meaning: 'oops' },
    ]);
    expect(() => describeCodes({ X: 'X' })).toThrow(/not a registry/);
  });

  it('finds codes written as literals where errors are made, and nothing else', () => {
    const src = [
      "return fail<OrderRecord>('CONNECTOR_BUSY', 'connectorNo', 'busy');",
      "userErrors: [{ code: 'RUN_IN_PROGRESS', field: 'date', message: 'x' }]",
      "new GraphQLError('x', { extensions: { code: 'BAD_REQUEST' } })",
      "throw new AppError('NOPE', 'x')",
      "body: JSON.stringify({ code: 'FAIL', message: 'verification failed' })",
      "fail(UserErrorCodes.NOT_FOUND, 'id', 'x')",
    ].join('\n');
    expect(literalCodes(src)).toEqual([
      { code: 'CONNECTOR_BUSY', line: 1 },
      { code: 'RUN_IN_PROGRESS', line: 2 },
      { code: 'BAD_REQUEST', line: 3 },
      { code: 'NOPE', line: 4 },
    ]);
  });

  it("every code returned as a literal is in a registry of its workspace (or the platform's)", () => {
    const workspaceOf = (file: string) =>
      file
        .split('/')
        .slice(0, file.startsWith('subgraphs/') || file.startsWith('packages/') || file.startsWith('ops/') ? 2 : 1)
        .join('/');
    const unregistered = sources().flatMap(({ file, text }) => {
      const known = codesOf(workspaceOf(file));
      return literalCodes(text)
        .filter((c) => !known.has(c.code))
        .map(
          (c) => `${file}:${c.line}: ${c.code} (declare it with its meaning in the workspace's defineCodes registry; see ops/dev/src/docs/error-catalogue.ts)`,
        );
    });
    expect(unregistered).toEqual([]);
  });

  it('has no code twice within a registry', () => {
    for (const r of REGISTRIES) {
      const codes = describeCodes(r.codes).map((c) => c.code);
      expect(new Set(codes).size).toBe(codes.length);
    }
  });
});
