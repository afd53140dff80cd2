import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { breakingChangeCheck, operationCheck } from './checks';
import { produceArtifacts } from './compose';
import { release } from './released';
import { roverChecks } from './rover';
import { REPO_ROOT, SUPERGRAPH_PATH } from './subgraphs';

/**
 * `write`: regenerate the committed SDLs and supergraph from code.
 * `check`: fail when what is committed differs from what the code produces, on a breaking
 *   change not recorded in schema/CHANGELOG.md, on a registered operation the API schema no
 *   longer validates, and (with APOLLO_KEY) on a failed `rover subgraph check`.
 * `release <version>`: make the current schemas the released baseline (schema/released/).
 */
async function main(cmd: string | undefined, arg: string | undefined): Promise<number> {
  const art = await produceArtifacts();
  const files = [...art.subgraphs.map((s) => ({ path: s.sdlPath, content: s.sdl })), { path: SUPERGRAPH_PATH, content: art.supergraph }];
  if (cmd === 'write') {
    for (const f of files) writeFileSync(f.path, f.content);
    console.log(`wrote ${files.map((f) => path.relative(REPO_ROOT, f.path)).join(', ')}`);
    return 0;
  }
  if (cmd === 'release') {
    if (!arg) {
      console.error('usage: npm run schema:release -- <version>');
      return 2;
    }
    const written = release(art, arg, new Date().toISOString().slice(0, 10));
    console.log(`released schema ${arg}: wrote ${written.join(', ')}`);
    return 0;
  }
  if (cmd === 'check') {
    let failed = false;
    const stale = files.filter((f) => {
      try {
        return readFileSync(f.path, 'utf8') !== f.content;
      } catch {
        return true;
      }
    });
    if (stale.length) {
      failed = true;
      console.error(
        `schema artifacts out of date (run \`npm run schema:write\` and commit):\n${stale.map((f) => `  - ${path.relative(REPO_ROOT, f.path)}`).join('\n')}`,
      );
    } else console.log('schema artifacts up to date');
    const checks = [
      () => breakingChangeCheck(art),
      () => operationCheck(art),
      () => {
        const rover = roverChecks(art, process.env);
        return { failed: rover.status !== 'passed' && rover.status !== 'skipped', lines: rover.lines };
      },
    ];
    for (const check of checks) {
      const r = await check();
      failed ||= r.failed;
      (r.failed ? console.error : console.log)(r.lines.join('\n'));
    }
    return failed ? 1 : 0;
  }
  console.error('usage: cli.js write|check|release <version>');
  return 2;
}

main(process.argv[2], process.argv[3]).then(
  (code) => process.exit(code),
  (e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
