import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '@evcs/testkit';

/**
 * The container image's build stage (ops/deploy/build-stage.sh, which the Dockerfile runs) on a
 * copy of the repository's files, as the image would get them: npm ci, tsc -b, the dev
 * dependencies pruned, the console's static files built. Then each service's entry point starts from the pruned tree far enough to
 * refuse a bad environment — every module it loads was kept.
 */
describe('the image build stage (ops/deploy/build-stage.sh)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'evcs-build-stage-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('installs, compiles and prunes a copy of the tree, and every entry point loads from it', () => {
    // what `COPY . .` takes: the tracked files (and new ones not ignored), no node_modules or dist
    execFileSync('bash', ['-c', `git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -xf - -C '${dir}'`], { cwd: REPO_ROOT });
    expect(existsSync(path.join(dir, 'node_modules'))).toBe(false);

    const r = spawnSync('bash', ['ops/deploy/build-stage.sh'], {
      cwd: dir,
      env: { ...process.env, NPM_CI_FLAGS: '--prefer-offline' },
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    });
    expect([r.status, r.status === 0 ? '' : r.stderr.slice(-2000)]).toEqual([0, '']);

    // compiled, without the compiled tests; dev dependencies gone
    for (const main of ['router/dist/src/main.js', 'subgraphs/payments/dist/src/main.js', 'protocol-bridge/dist/src/main.js', 'ops/dev/dist/src/migrate.js'])
      expect([main, existsSync(path.join(dir, main))]).toEqual([main, true]);
    // the console's static files, for the edge image (built before the prune took its toolchain)
    expect(readFileSync(path.join(dir, 'console/dist/index.html'), 'utf8')).toMatch(/<script type="module"[^>]* src="\/assets\/index-[\w-]+\.js"/);
    expect(existsSync(path.join(dir, 'node_modules/vite'))).toBe(false);
    expect(existsSync(path.join(dir, 'router/dist/test'))).toBe(false);
    expect(existsSync(path.join(dir, 'node_modules/typescript'))).toBe(false);
    expect(existsSync(path.join(dir, 'node_modules/jest'))).toBe(false);

    const start = (main: string, env: Record<string, string>) =>
      spawnSync(process.execPath, [path.join(dir, main)], { cwd: dir, env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8', timeout: 30_000 });
    for (const [main, env] of [
      ['router/dist/src/main.js', { PORT: 'x' }],
      ['subgraphs/tenants/dist/src/main.js', { PORT: 'x' }],
      ['subgraphs/orders/dist/src/main.js', { PORT: 'x' }],
      ['protocol-bridge/dist/src/main.js', { PORT: 'x' }],
      ['ops/dev/dist/src/migrate.js', { EVCS_DATABASE: 'Not-An-Identifier' }],
    ] as const) {
      const run = start(main, env);
      expect([main, run.status, run.stderr]).toEqual([main, 1, expect.stringContaining('Invalid environment')]);
      expect(run.stderr).not.toMatch(/Cannot find module/);
    }
  }, 300_000);
});
