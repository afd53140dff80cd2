import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { API_REFERENCE_DIR, renderApiReference } from './api-reference';
import { renderConfigurationReference } from './env-reference';
import { renderErrorCatalogue } from './error-catalogue';

/** Repository root, from ops/dev/dist/src/docs. */
export const REPO_ROOT = path.resolve(__dirname, '../../../../..');

export const DOCS_WRITE_COMMAND = 'npm run docs:write';

export interface GeneratedDocs {
  /** path from the repository root → content */
  files: Map<string, string>;
  /** directories whose every file is generated: a file there that the generator no longer makes is stale too */
  ownedDirs: string[];
}

export async function produceDocs(root = REPO_ROOT): Promise<GeneratedDocs> {
  const files = new Map<string, string>([
    ['docs/configuration.md', renderConfigurationReference()],
    ['docs/errors.md', renderErrorCatalogue()],
  ]);
  const reference = await renderApiReference(readFileSync(path.join(root, 'schema/supergraph.graphql'), 'utf8'));
  for (const [p, content] of reference) files.set(`${API_REFERENCE_DIR}/${p}`, content);
  return { files, ownedDirs: [API_REFERENCE_DIR] };
}

function listFiles(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => path.join(e.parentPath, e.name));
  } catch {
    return [];
  }
}

/** What differs between the generated docs and the tree: changed or missing files, and leftovers in owned directories. */
export function staleDocs(docs: GeneratedDocs, root = REPO_ROOT): string[] {
  const stale: string[] = [];
  for (const [p, content] of docs.files) {
    let onDisk: string | undefined;
    try {
      onDisk = readFileSync(path.join(root, p), 'utf8');
    } catch {
      onDisk = undefined;
    }
    if (onDisk === undefined) stale.push(`${p} (missing)`);
    else if (onDisk !== content) stale.push(`${p} (differs)`);
  }
  for (const dir of docs.ownedDirs) {
    for (const full of listFiles(path.join(root, dir))) {
      const p = path.relative(root, full).split(path.sep).join('/');
      if (!docs.files.has(p)) stale.push(`${p} (no longer generated)`);
    }
  }
  return stale;
}

export function staleMessage(stale: string[]): string {
  const shown = stale.slice(0, 20).map((s) => `  - ${s}`);
  if (stale.length > shown.length) shown.push(`  … and ${stale.length - shown.length} more`);
  return `Generated docs are out of date; run \`${DOCS_WRITE_COMMAND}\` and commit the result:\n${shown.join('\n')}`;
}
