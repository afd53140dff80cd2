import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { AuditExceptions, judge, report } from './audit';

/** Repository root, from ops/dev/dist/src/audit. */
const REPO_ROOT = path.resolve(__dirname, '../../../../..');

function exceptions(): AuditExceptions {
  const file = path.join(REPO_ROOT, 'audit-exceptions.json');
  const parsed = AuditExceptions.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`audit-exceptions.json: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

function main(): number {
  const accepted = exceptions();
  // npm audit exits 1 when it finds anything and on registry errors alike: its JSON says which
  const run = spawnSync('npm', ['audit', '--omit=dev', '--json'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  const raw = run.error ? `npm audit could not run: ${run.error.message}` : run.stdout;
  const { failed, lines } = report(judge(raw, accepted, new Date().toISOString().slice(0, 10)));
  (failed ? console.error : console.log)(lines.join('\n'));
  return failed ? 1 : 0;
}

try {
  process.exitCode = main();
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
}
