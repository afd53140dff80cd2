import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DOCS_WRITE_COMMAND, produceDocs, REPO_ROOT, staleDocs, staleMessage } from './artifacts';
import { mermaidProblems } from './mermaid';

/**
 * `write`: regenerate docs/configuration.md, docs/errors.md and docs/api/reference/ from the code.
 * `check`: exit 1, naming the files and the command, when what is committed differs, or when a
 * Mermaid diagram in the README or docs/ does not parse.
 */
async function main(cmd: string | undefined): Promise<number> {
  const docs = await produceDocs();
  if (cmd === 'write') {
    for (const dir of docs.ownedDirs) rmSync(path.join(REPO_ROOT, dir), { recursive: true, force: true });
    for (const [p, content] of docs.files) {
      mkdirSync(path.dirname(path.join(REPO_ROOT, p)), { recursive: true });
      writeFileSync(path.join(REPO_ROOT, p), content);
    }
    console.log(`wrote ${docs.files.size} files (docs/configuration.md, docs/errors.md, ${docs.ownedDirs.join(', ')})`);
    return 0;
  }
  if (cmd === 'check') {
    const stale = staleDocs(docs);
    const diagrams = await mermaidProblems(REPO_ROOT);
    if (stale.length || diagrams.length) {
      console.error([...(stale.length ? [staleMessage(stale)] : []), ...diagrams].join('\n'));
      return 1;
    }
    console.log('generated docs up to date');
    return 0;
  }
  console.error(`usage: cli.js write|check (${DOCS_WRITE_COMMAND} writes)`);
  return 2;
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
