import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runGraphQLMarkdown } from '@graphql-markdown/cli';
import { apiSchemaSdl } from './api-schema';
import { GENERATED_NOTE } from './markdown';

/** Where the generated reference lives, from the repository root (its links are root-relative, as GitHub resolves them). */
export const API_REFERENCE_DIR = 'docs/api/reference';

function filesUnder(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(full, base) : [path.relative(base, full)];
  });
}

const CATEGORIES: [dir: string, title: string][] = [
  ['operations/queries', 'Queries'],
  ['operations/mutations', 'Mutations'],
  ['operations/subscriptions', 'Subscriptions'],
  ['types/objects', 'Objects'],
  ['types/inputs', 'Inputs'],
  ['types/enums', 'Enums'],
  ['types/unions', 'Unions'],
  ['types/interfaces', 'Interfaces'],
  ['types/scalars', 'Scalars'],
  ['types/directives', 'Directives'],
];

/** The landing page: every page by category, titled as the page is. */
function index(pages: Map<string, string>): string {
  const title = (content: string) => /^# (.+)$/m.exec(content)?.[1] ?? '?';
  const sections = CATEGORIES.flatMap(([dir, name]) => {
    const entries = [...pages.entries()]
      .filter(([p]) => path.posix.dirname(p) === dir)
      .map(([p, content]) => ({ p, t: title(content) }))
      .sort((a, b) => a.t.localeCompare(b.t));
    return entries.length ? [`## ${name}`, '', ...entries.map((e) => `- [${e.t}](${e.p})`), ''] : [];
  });
  return [
    '# API reference',
    '',
    GENERATED_NOTE,
    '',
    'Made by [GraphQL-Markdown](https://graphql-markdown.dev) from the descriptions in the API schema',
    '([`schema.graphql`](schema.graphql): the supergraph as the router serves it). Worked examples of the',
    'main flows: [../examples.md](../examples.md); error codes: [../../errors.md](../../errors.md).',
    '',
    ...sections,
  ].join('\n');
}

/**
 * The reference as files (path under API_REFERENCE_DIR → content): one page per operation and
 * type, printed by GraphQL-Markdown's mdBook formatter (plain Markdown, `.md` links), an index
 * and the API schema itself. Offline: the schema is read from a file.
 */
export async function renderApiReference(supergraphSdl: string): Promise<Map<string, string>> {
  const sdl = apiSchemaSdl(supergraphSdl);
  const tmp = mkdtempSync(path.join(tmpdir(), 'evcs-api-docs-'));
  try {
    const schemaFile = path.join(tmp, 'schema.graphql');
    writeFileSync(schemaFile, sdl);
    // The loader's and formatter's names are opaque string types in GraphQL-Markdown's typings.
    const options = {
      id: 'default',
      loaders: { GraphQLFileLoader: require.resolve('@graphql-tools/graphql-file-loader') },
      formatter: require.resolve('@graphql-markdown/formatters/mdbook'),
      docOptions: { frontMatter: false },
    } as unknown as Parameters<typeof runGraphQLMarkdown>[0];
    await runGraphQLMarkdown(options, {
      schema: schemaFile,
      root: path.join(tmp, 'out'),
      base: `/${API_REFERENCE_DIR}`,
      link: '/',
      noSectionId: true,
      force: true,
    });
    const outDir = path.join(tmp, 'out', API_REFERENCE_DIR);
    const pages = new Map<string, string>();
    // generated.md is the printer's own home page, with front matter for a site generator; index() replaces it
    for (const f of filesUnder(outDir)
      .filter((f) => f.endsWith('.md') && f !== 'generated.md')
      .sort()) {
      pages.set(f.split(path.sep).join('/'), readFileSync(path.join(outDir, f), 'utf8'));
    }
    return new Map([['README.md', index(pages)], ['schema.graphql', sdl], ...pages]);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
