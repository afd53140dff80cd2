import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { BUSINESS_METRIC_NAMES, collectProcessMetrics, createBusinessMetrics, metricsRegistry } from '@evcs/platform';
// the modules that define the router's and the bridge's own metrics
import '@evcs/router/dist/src/gateway';
import '@evcs/protocol-bridge/dist/src/metrics';
import '@evcs/protocol-bridge/dist/src/connections/diagnostics';
import { REPO_ROOT } from '@evcs/testkit';
import { parse as parseYaml } from 'yaml';
import { COMPOSE_HEADER, COMPOSE_METRICS_TARGETS, ensurePrometheus, LOCAL_METRICS_TARGETS, PROMETHEUS_DIR, PROMTOOL, scrapeConfig } from '../src/prometheus';

const exec = promisify(execFile);
const GRAFANA_DIR = path.join(REPO_ROOT, 'ops/grafana');

interface Panel {
  title: string;
  datasource?: { uid?: string };
  targets?: { expr?: string; datasource?: { uid?: string } }[];
}

/** Every name of a series the platform exports (histograms with their _bucket, _sum and _count). */
async function exportedSeriesNames(): Promise<Set<string>> {
  createBusinessMetrics();
  collectProcessMetrics();
  const names = new Set<string>(['up', ...BUSINESS_METRIC_NAMES]);
  for (const m of await metricsRegistry.getMetricsAsJSON()) {
    names.add(m.name);
    if (String(m.type) === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(`${m.name}${s}`);
  }
  return names;
}

/** Metric names a PromQL expression (or any text) refers to: the platform's own, Node's, and `up`. */
const referenced = (text: string): string[] => [...new Set(text.match(/\b(?:evcs|nodejs|process)_[a-z0-9_]+|\bup(?=\{|\s|\)|$)/g) ?? [])];

/**
 * The files an operator imports — Prometheus' scrape config and alert rules, Grafana's dashboards
 * and provisioning — checked the way their tools check them (promtool, from Debian's prometheus
 * package, installed by ops/prometheus/install.sh when missing), and against the metrics the
 * code really exports.
 */
describe('observability files: Prometheus config and alerts, Grafana dashboards', () => {
  let names: Set<string>;
  beforeAll(async () => {
    await ensurePrometheus();
    names = await exportedSeriesNames();
  }, 900_000);

  const promtool = async (...args: string[]) => (await exec(PROMTOOL, args, { cwd: PROMETHEUS_DIR })).stdout;

  it('promtool: the scrape config and the rules are valid, and every alert passes its unit test', async () => {
    expect(await promtool('check', 'config', 'prometheus.yml')).toMatch(/SUCCESS: prometheus\.yml is valid/);
    expect(await promtool('check', 'rules', 'alerts.yml')).toMatch(/SUCCESS: 8 rules found/);
    expect(await promtool('test', 'rules', 'alerts.test.yml')).toMatch(/SUCCESS/);
  });

  it('every alert has a unit test, and every metric the rules name is exported', async () => {
    const alerts = await readFile(path.join(PROMETHEUS_DIR, 'alerts.yml'), 'utf8');
    const tests = await readFile(path.join(PROMETHEUS_DIR, 'alerts.test.yml'), 'utf8');
    const alertNames = [...alerts.matchAll(/^\s+- alert: (\w+)$/gm)].map((m) => m[1]);
    expect(alertNames).toHaveLength(8);
    for (const a of alertNames) expect([a, tests.includes(`alertname: ${a}\n`)]).toEqual([a, true]);
    const unknown = referenced(alerts).filter((n) => !names.has(n));
    expect(unknown).toEqual([]);
  });

  it('the committed scrape config is the one the code writes for the local stack, every service a job', async () => {
    const committed = await readFile(path.join(PROMETHEUS_DIR, 'prometheus.yml'), 'utf8');
    expect(committed).toBe(scrapeConfig({ targets: LOCAL_METRICS_TARGETS, ruleFiles: ['alerts.yml'] }));
    expect(Object.keys(LOCAL_METRICS_TARGETS).sort()).toEqual(
      ['evcs-assets', 'evcs-orders', 'evcs-payments', 'evcs-protocol-bridge', 'evcs-router', 'evcs-tariffs', 'evcs-tenants'].sort(),
    );
  });

  it("compose's Prometheus: its scrape config is the code's for the compose containers, valid, and mounted with the rules", async () => {
    const deployDir = path.join(REPO_ROOT, 'ops/deploy');
    const committed = await readFile(path.join(deployDir, 'prometheus/prometheus.yml'), 'utf8');
    expect(committed).toBe(scrapeConfig({ targets: COMPOSE_METRICS_TARGETS, ruleFiles: ['alerts.yml'], header: COMPOSE_HEADER }));
    // every platform container, at its own PORT + 5400
    const compose = parseYaml(await readFile(path.join(deployDir, 'compose.yaml'), 'utf8'), { merge: true }) as {
      services: Record<string, { image?: string; environment?: Record<string, string>; profiles?: string[]; volumes?: string[] }>;
    };
    const platform = Object.entries(compose.services).filter(([, s]) => s.image?.startsWith('evcs/') && s.environment?.PORT);
    expect(Object.fromEntries(platform.map(([name, s]) => [`evcs-${name}`, [`${name}:${Number(s.environment!.PORT) + 5400}`]]))).toEqual(
      COMPOSE_METRICS_TARGETS,
    );
    const prometheus = compose.services.prometheus;
    expect(prometheus.profiles).toEqual(['observability']);
    expect(prometheus.volumes).toEqual(
      expect.arrayContaining(['./prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro', '../prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro']),
    );
    // promtool reads the rule file beside the config, as the container will
    const dir = await mkdtemp(path.join(os.tmpdir(), 'evcs-compose-prom-'));
    try {
      await writeFile(path.join(dir, 'prometheus.yml'), committed);
      await writeFile(path.join(dir, 'alerts.yml'), await readFile(path.join(PROMETHEUS_DIR, 'alerts.yml')));
      expect((await exec(PROMTOOL, ['check', 'config', 'prometheus.yml'], { cwd: dir })).stdout).toMatch(/SUCCESS: prometheus\.yml is valid/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the dashboards parse, use the provisioned data source, and query only metrics that exist, in valid PromQL', async () => {
    const datasources = await readFile(path.join(GRAFANA_DIR, 'provisioning/datasources/prometheus.yml'), 'utf8');
    const uid = /uid: (\S+)/.exec(datasources)?.[1];
    expect(uid).toBe('evcs-prometheus');
    const files = (await readdir(path.join(GRAFANA_DIR, 'dashboards'))).filter((f) => f.endsWith('.json')).sort();
    expect(files).toEqual(['business.json', 'protocol.json', 'system-overview.json']);
    const exprs: { where: string; expr: string }[] = [];
    for (const f of files) {
      const d = JSON.parse(await readFile(path.join(GRAFANA_DIR, 'dashboards', f), 'utf8')) as { uid: string; title: string; panels: Panel[] };
      expect(d.uid).toMatch(/^evcs-/);
      expect(d.panels.length).toBeGreaterThan(5);
      for (const p of d.panels) {
        expect([f, p.title, p.datasource?.uid]).toEqual([f, p.title, uid]);
        expect(p.targets?.length).toBeGreaterThan(0);
        for (const t of p.targets ?? []) {
          expect([f, p.title, t.datasource?.uid, typeof t.expr]).toEqual([f, p.title, uid, 'string']);
          exprs.push({ where: `${f}: ${p.title}`, expr: t.expr! });
        }
      }
    }
    const unknown = exprs.flatMap((e) =>
      referenced(e.expr)
        .filter((n) => !names.has(n))
        .map((n) => `${e.where}: ${n}`),
    );
    expect(unknown).toEqual([]);
    // promtool parses each expression as a recording rule: a typo in PromQL fails here
    const dir = await mkdtemp(path.join(os.tmpdir(), 'evcs-dashboards-'));
    try {
      const rules = [
        'groups:',
        '  - name: dashboards',
        '    rules:',
        ...exprs.flatMap((e, i) => [`      - record: dashboard:expr_${i}`, `        expr: '${e.expr.replace(/'/g, "''")}'`]),
      ];
      await writeFile(path.join(dir, 'rules.yml'), `${rules.join('\n')}\n`);
      expect(await promtool('check', 'rules', path.join(dir, 'rules.yml'))).toMatch(new RegExp(`SUCCESS: ${exprs.length} rules found`));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
