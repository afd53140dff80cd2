import { spawnSync } from 'node:child_process';
import path from 'node:path';
import type { Artifacts } from './compose';
import { REPO_ROOT } from './subgraphs';

/**
 * GraphOS's own checks, when the environment gives access to a graph: `rover subgraph check`
 * for every subgraph against APOLLO_GRAPH_REF (rover reads APOLLO_KEY itself). Without
 * APOLLO_KEY they are skipped; rover is not installed by us, only run when it is on PATH.
 */
export interface RoverResult {
  /** skipped: no APOLLO_KEY; the others fail the check */
  status: 'skipped' | 'passed' | 'failed' | 'misconfigured';
  lines: string[];
}

type Run = (cmd: string, args: string[]) => { error?: Error; status: number | null; stdout: string; stderr: string };
const run: Run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: REPO_ROOT, encoding: 'utf8', timeout: 300_000, maxBuffer: 16 * 1024 * 1024 });
  return { error: r.error, status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
};

export function roverChecks(art: Artifacts, env: NodeJS.ProcessEnv, exec: Run = run): RoverResult {
  if (!env.APOLLO_KEY) return { status: 'skipped', lines: ['rover subgraph check: skipped (APOLLO_KEY is not set)'] };
  const graphRef = env.APOLLO_GRAPH_REF;
  if (!graphRef) return { status: 'misconfigured', lines: ['rover subgraph check: APOLLO_KEY is set but APOLLO_GRAPH_REF (graph@variant) is not'] };
  const version = exec('rover', ['--version']);
  if (version.error) {
    return { status: 'misconfigured', lines: [`rover subgraph check: APOLLO_KEY is set but rover is missing (not on PATH: ${version.error.message})`] };
  }
  const lines: string[] = [];
  let failed = false;
  for (const s of art.subgraphs) {
    const r = exec('rover', ['subgraph', 'check', graphRef, '--name', s.name, '--schema', path.relative(REPO_ROOT, s.sdlPath)]);
    const ok = !r.error && r.status === 0;
    failed ||= !ok;
    lines.push(`rover subgraph check ${graphRef} --name ${s.name}: ${ok ? 'passed' : `FAILED (exit ${r.status ?? r.error?.message})`}`);
    const out = (r.stdout + r.stderr).trim();
    if (out) lines.push(...out.split('\n').map((l) => `    ${l}`));
  }
  return { status: failed ? 'failed' : 'passed', lines };
}
