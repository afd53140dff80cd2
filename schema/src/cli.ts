import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { produceArtifacts } from './compose';
import { REPO_ROOT, SUPERGRAPH_PATH } from './subgraphs';

/**
 * `write`: regenerate the committed SDLs and supergraph from code.
 * `check`: fail when what is committed differs from what the code produces.
 */
async function main(cmd: string | undefined): Promise<number> {
  const art = await produceArtifacts();
  const files = [...art.subgraphs.map((s) => ({ path: s.sdlPath, content: s.sdl })), { path: SUPERGRAPH_PATH, content: art.supergraph }];
  if (cmd === 'write') {
    for (const f of files) writeFileSync(f.path, f.content);
    console.log(`wrote ${files.map((f) => path.relative(REPO_ROOT, f.path)).join(', ')}`);
    return 0;
  }
  if (cmd === 'check') {
    const stale = files.filter((f) => {
      try {
        return readFileSync(f.path, 'utf8') !== f.content;
      } catch {
        return true;
      }
    });
    if (stale.length) {
      console.error(
        `schema artifacts out of date (run \`npm run schema:write\` and commit):\n${stale.map((f) => `  - ${path.relative(REPO_ROOT, f.path)}`).join('\n')}`,
      );
      return 1;
    }
    console.log('schema artifacts up to date');
    return 0;
  }
  console.error('usage: cli.js write|check');
  return 2;
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
