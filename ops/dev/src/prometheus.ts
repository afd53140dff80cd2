import { ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { METRICS_PORT_OFFSET } from '@evcs/platform';
import { REPO_ROOT } from '@evcs/testkit';
import { SUBGRAPH_PORTS } from './stack';

const exec = promisify(execFile);

/** The files an operator imports: scrape config, alert rules and their tests (ops/prometheus/). */
export const PROMETHEUS_DIR = path.join(REPO_ROOT, 'ops/prometheus');
export const PROMTOOL = '/usr/bin/promtool';
const PROMETHEUS = '/usr/bin/prometheus';

/** Where `npm start`'s fixed ports put each service's metrics (PORT + 5400): job → targets. */
export const LOCAL_METRICS_TARGETS: Record<string, string[]> = {
  'evcs-router': [`127.0.0.1:${4000 + METRICS_PORT_OFFSET}`],
  ...Object.fromEntries(Object.entries(SUBGRAPH_PORTS).map(([name, port]) => [`evcs-${name}`, [`127.0.0.1:${port + METRICS_PORT_OFFSET}`]])),
  'evcs-protocol-bridge': [`127.0.0.1:${4100 + METRICS_PORT_OFFSET}`],
};

/** The containers of ops/deploy/compose.yaml, by service name on the compose network (the same PORT + 5400). */
export const COMPOSE_METRICS_TARGETS: Record<string, string[]> = Object.fromEntries(
  Object.entries(LOCAL_METRICS_TARGETS).map(([job, targets]) => [job, targets.map((t) => t.replace('127.0.0.1', job.replace(/^evcs-/, '')))]),
);

const LOCAL_HEADER = [
  '# Prometheus scrape config for the local stack (`npm start`): each service’s internal',
  '# metrics port (PORT + 5400). Written by ops/dev/src/prometheus.ts (scrapeConfig); checked',
  '# by `npm test` (promtool check config, and equal to what the code writes).',
];

export const COMPOSE_HEADER = [
  '# Prometheus scrape config for ops/deploy/compose.yaml (`--profile observability`): each',
  '# container’s internal metrics port (PORT + 5400) on the compose network, which no port',
  '# mapping publishes. Written by ops/dev/src/prometheus.ts (scrapeConfig); checked by `npm test`.',
];

/**
 * A Prometheus configuration scraping the given targets, one job per service
 * (`evcs-<service>`, the job names the alerts and dashboards use). ops/prometheus/prometheus.yml
 * is this for the local stack's ports, ops/deploy/prometheus/prometheus.yml for compose's
 * containers; a test keeps each equal to what this writes.
 */
export function scrapeConfig(o: { targets: Record<string, string[]>; ruleFiles: string[]; scrapeInterval?: string; header?: string[] }): string {
  const interval = o.scrapeInterval ?? '15s';
  const jobs = Object.entries(o.targets)
    .map(([job, targets]) => [`  - job_name: ${job}`, '    static_configs:', `      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]`].join('\n'))
    .join('\n');
  return [
    ...(o.header ?? LOCAL_HEADER),
    'global:',
    `  scrape_interval: ${interval}`,
    `  evaluation_interval: ${interval}`,
    'rule_files:',
    ...o.ruleFiles.map((f) => `  - ${f}`),
    'scrape_configs:',
    jobs,
    '',
  ].join('\n');
}

/** promtool and prometheus from Debian's package, installed by ops/prometheus/install.sh (as root) when missing. */
export async function ensurePrometheus(): Promise<void> {
  if (existsSync(PROMTOOL) && existsSync(PROMETHEUS)) return;
  await exec('bash', [path.join(PROMETHEUS_DIR, 'install.sh')], { timeout: 900_000, maxBuffer: 10 * 1024 * 1024 });
}

export interface RunningPrometheus {
  url: string;
  stop(): Promise<void>;
}

/**
 * A real Prometheus in the foreground scraping `targets`, with the project's alert rules,
 * its configuration and data under `dir`. Resolves once it answers /-/ready.
 */
export async function startPrometheus(o: {
  dir: string;
  port: number;
  targets: Record<string, string[]>;
  scrapeInterval?: string;
  quiet?: boolean;
}): Promise<RunningPrometheus> {
  await ensurePrometheus();
  await mkdir(path.join(o.dir, 'data'), { recursive: true });
  const config = path.join(o.dir, 'prometheus.yml');
  await writeFile(config, scrapeConfig({ targets: o.targets, ruleFiles: [path.join(PROMETHEUS_DIR, 'alerts.yml')], scrapeInterval: o.scrapeInterval }));
  const child: ChildProcess = spawn(
    PROMETHEUS,
    [`--config.file=${config}`, `--storage.tsdb.path=${path.join(o.dir, 'data')}`, `--web.listen-address=127.0.0.1:${o.port}`, '--log.level=warn'],
    { stdio: ['ignore', o.quiet ? 'ignore' : 'inherit', o.quiet ? 'ignore' : 'inherit'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${o.port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited during start-up (code ${child.exitCode})`);
    try {
      if ((await fetch(`${url}/-/ready`)).ok) return { url, stop };
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error('prometheus not ready after 60 s');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
