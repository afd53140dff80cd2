import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gqlPluckFromCodeStringSync } from '@graphql-tools/graphql-tag-pluck';
import {
  DocumentNode,
  FragmentDefinitionNode,
  GraphQLError,
  GraphQLSchema,
  Kind,
  NoUnusedFragmentsRule,
  OperationDefinitionNode,
  parse,
  specifiedRules,
  validate,
} from 'graphql';
import { REPO_ROOT } from './subgraphs';

/**
 * The registered client operations: where the check collects them from. TypeScript sources hold
 * them as template literals marked `/* GraphQL *\/` (plucked by @graphql-tools/graphql-tag-pluck,
 * no regex); `.graphql` files are documents; Markdown holds them in ```graphql fences.
 * A directory that does not exist yet (console/) is simply empty.
 */
export const OPERATION_SOURCES: readonly { dir: string; ext: '.ts' | '.graphql' | '.md'; recursive: boolean; exclude?: string }[] = [
  { dir: 'console', ext: '.graphql', recursive: true },
  { dir: 'protocol-bridge/src/simulator', ext: '.ts', recursive: true },
  { dir: 'ops/dev/src', ext: '.ts', recursive: true },
  { dir: '.', ext: '.md', recursive: false },
  // the generated API reference shows field signatures (`me: Me!`) in its fences, not operations
  { dir: 'docs', ext: '.md', recursive: true, exclude: 'docs/api/reference' },
];

export interface CollectedDocument {
  /** relative to the repository root */
  file: string;
  /** 1-based line of the document's first character in the file */
  line: number;
  body: string;
  /**
   * Documents compiled together (a client's `.graphql` files, as GraphQL Code Generator reads
   * them): their fragments are one namespace, so an operation may spread a fragment another of
   * them defines. Absent: the document stands alone.
   */
  group?: string;
}

export interface OperationFailure {
  file: string;
  line: number;
  /** the operation's name, `(anonymous)`, or `(document)` when it does not parse */
  operation: string;
  message: string;
}

const SKIP_DIRS = new Set(['node_modules', 'dist', '.cache', '.git', 'coverage']);

function filesUnder(dir: string, ext: string, recursive: boolean): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return recursive && !SKIP_DIRS.has(e.name) ? filesUnder(p, ext, recursive) : [];
    return e.isFile() && e.name.endsWith(ext) ? [p] : [];
  });
}

/**
 * A safety net, not the collector: a string or template literal in a registered TypeScript source
 * that starts like an operation (`'query(`, `` `mutation Name {``, `'{ stations {`) without the
 * `/* GraphQL *\/` marker before it would be sent but never checked.
 */
const UNMARKED = /(?<!\/\* GraphQL \*\/ )(['"`])(?:(?:query|mutation|subscription)\b(?:\s+\w+)?\s*[({]|\{\s*[a-z]\w*\s*[({])/g;

/** Operation-looking literals in the registered TypeScript sources that are not marked, so not checked. */
export function unmarkedOperations(root: string = REPO_ROOT): OperationFailure[] {
  return OPERATION_SOURCES.filter((s) => s.ext === '.ts').flatMap((src) =>
    filesUnder(path.join(root, src.dir), src.ext, src.recursive)
      .sort()
      .flatMap((abs) => {
        const text = readFileSync(abs, 'utf8');
        return [...text.matchAll(UNMARKED)].map((m) => ({
          file: path.relative(root, abs),
          line: text.slice(0, m.index).split('\n').length,
          operation: '(unmarked)',
          message: `${text.slice(m.index, m.index + 40).split('\n')[0]}… looks like an operation: mark it /* GraphQL */ and name it, so the check sees it`,
        }));
      }),
  );
}

const FENCE = /^```graphql\s*$/;

/** ```graphql fences of a Markdown file, with the line each body starts on. */
function markdownBlocks(text: string): { line: number; body: string }[] {
  const lines = text.split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    if (!FENCE.test(lines[i])) continue;
    const end = lines.findIndex((l, j) => j > i && l.startsWith('```'));
    if (end < 0) break;
    blocks.push({ line: i + 2, body: lines.slice(i + 1, end).join('\n') });
    i = end;
  }
  return blocks;
}

/** Every GraphQL document in the registered sources (type-system-only ones are dropped later). */
export function collectDocuments(root: string = REPO_ROOT): CollectedDocument[] {
  const docs: CollectedDocument[] = [];
  for (const src of OPERATION_SOURCES) {
    for (const abs of filesUnder(path.join(root, src.dir), src.ext, src.recursive).sort()) {
      const file = path.relative(root, abs);
      if (src.exclude && file.startsWith(src.exclude + path.sep)) continue;
      const text = readFileSync(abs, 'utf8');
      if (src.ext === '.graphql') docs.push({ file, line: 1, body: text, group: src.dir });
      else if (src.ext === '.md') docs.push(...markdownBlocks(text).map((b) => ({ file, ...b })));
      else docs.push(...gqlPluckFromCodeStringSync(abs, text, { skipIndent: true }).map((s) => ({ file, line: s.locationOffset.line, body: s.body })));
    }
  }
  return docs;
}

// each operation is validated with the document's fragments; one operation need not use them all
const RULES = specifiedRules.filter((r) => r !== NoUnusedFragmentsRule);

const lineOf = (doc: CollectedDocument, err: GraphQLError) => doc.line + (err.locations?.[0]?.line ?? 1) - 1;

type Parsed = { doc: CollectedDocument; parsed: DocumentNode } | { doc: CollectedDocument; error: GraphQLError };
const fragmentsOf = (d: DocumentNode) => d.definitions.filter((x): x is FragmentDefinitionNode => x.kind === Kind.FRAGMENT_DEFINITION);

/**
 * One document's failures, and how many operations it holds (0 for SDL, such as the README's
 * types). `shared`: the fragments of the other documents of its group, by name.
 */
function checkDocument(
  schema: GraphQLSchema,
  p: Parsed,
  shared: ReadonlyMap<string, FragmentDefinitionNode>,
): { operations: number; failures: OperationFailure[] } {
  const { doc } = p;
  if ('error' in p) {
    return { operations: 0, failures: [{ file: doc.file, line: lineOf(doc, p.error), operation: '(document)', message: p.error.message }] };
  }
  const { parsed } = p;
  const own = fragmentsOf(parsed);
  const ownNames = new Set(own.map((f) => f.name.value));
  const fragments = [...own, ...[...shared.values()].filter((f) => !ownNames.has(f.name.value))];
  const operations = parsed.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const failures: OperationFailure[] = [];
  for (const op of operations) {
    const name = op.name?.value ?? '(anonymous)';
    if (!op.name) {
      const line = doc.line + (op.loc?.startToken.line ?? 1) - 1;
      failures.push({ file: doc.file, line, operation: name, message: 'anonymous operation: give it a name (`query StationList { … }`)' });
    }
    for (const err of validate(schema, { kind: Kind.DOCUMENT, definitions: [op, ...fragments] }, RULES)) {
      failures.push({ file: doc.file, line: lineOf(doc, err), operation: name, message: err.message });
    }
  }
  return { operations: operations.length, failures };
}

/** Validate every collected operation against the API schema (subscriptions included). */
export function checkOperations(schema: GraphQLSchema, docs: CollectedDocument[]): { operations: number; failures: OperationFailure[] } {
  const parsed: Parsed[] = docs.map((doc) => {
    try {
      return { doc, parsed: parse(doc.body) };
    } catch (e) {
      return { doc, error: e as GraphQLError };
    }
  });
  const byGroup = new Map<string, Map<string, FragmentDefinitionNode>>();
  for (const p of parsed) {
    if (!p.doc.group || !('parsed' in p)) continue;
    const group = byGroup.get(p.doc.group) ?? new Map<string, FragmentDefinitionNode>();
    for (const f of fragmentsOf(p.parsed)) group.set(f.name.value, f);
    byGroup.set(p.doc.group, group);
  }
  const none = new Map<string, FragmentDefinitionNode>();
  const results = parsed.map((p) => checkDocument(schema, p, (p.doc.group && byGroup.get(p.doc.group)) || none));
  return { operations: results.reduce((n, r) => n + r.operations, 0), failures: results.flatMap((r) => r.failures) };
}

export const formatOperationFailure = (f: OperationFailure): string => `  - ${f.file}:${f.line} operation ${f.operation}: ${f.message}`;
