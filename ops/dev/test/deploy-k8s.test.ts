import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service as K8sService } from 'kubernetes-models/v1/Service';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { METRICS_PORT_OFFSET } from '@evcs/platform';
import { DEPLOY_DIR, SERVICES, type Service, startupProblems, unknownVariables } from './support/deploy-env';

/**
 * ops/deploy/k8s: every overlay rendered by kustomize (kubectl's, in the machine's image) and every
 * object validated against the Kubernetes API schemas (kubernetes-models); then what the schemas
 * can't see: probes, resources, autoscalers and budgets, the bridge's stable ids, the services'
 * environments against their env schemas, who may reach whom, and the nginx edge in front (its
 * upstreams the Services that exist, reachable by it and by nothing else it does not use).
 */
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string }; configMapKeyRef?: { name: string; key: string }; fieldRef?: { fieldPath: string } };
}
interface Container {
  name: string;
  image: string;
  ports?: { name?: string; containerPort: number }[];
  startupProbe?: unknown;
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string } }[];
  livenessProbe?: unknown;
  readinessProbe?: unknown;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  containers: Container[];
  volumes?: { name: string; secret?: { secretName?: string; items?: { key: string; path: string }[] } }[];
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
}
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown> & { template?: { metadata?: K8sObject['metadata']; spec: PodSpec } };
  data?: Record<string, string>;
}
interface Policy {
  metadata: { name: string };
  spec: {
    podSelector: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values: string[] }[] };
    ingress?: {
      from?: { podSelector?: { matchLabels?: Record<string, string> }; namespaceSelector?: object; ipBlock?: object }[];
      ports?: { port: number; endPort?: number }[];
    }[];
  };
}

const MODELS: Record<string, new (o: never) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Service': K8sService,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'batch/v1/Job': Job,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
};

const SUBGRAPHS = ['tenants', 'assets', 'tariffs', 'orders', 'payments'];
const NAME = 'app.kubernetes.io/name';
const EDGE = 'edge';

const overlaysDir = path.join(DEPLOY_DIR, 'k8s/overlays');
const overlays = readdirSync(overlaysDir);

function render(overlay: string): K8sObject[] {
  const out = execFileSync('kubectl', ['kustomize', path.join(overlaysDir, overlay)], { encoding: 'utf8' });
  return parseAllDocuments(out).map((d) => d.toJS() as K8sObject);
}

const allWorkloads = (objs: K8sObject[]) => objs.filter((o) => ['Deployment', 'StatefulSet', 'Job'].includes(o.kind));
const isEdge = (o: K8sObject) => o.spec?.template?.spec.containers.some((c) => /(^|\/)edge(:|$)/.test(c.image)) ?? false;
/** The platform's own services (Node, an env schema each); the nginx edge is checked on its own. */
const workloads = (objs: K8sObject[]) => allWorkloads(objs).filter((o) => !isEdge(o));
const serviceOf = (c: Container): Service => {
  const s = c.image.replace(/^.*\//, '').replace(/:.*$/, '') as Service;
  if (!SERVICES.includes(s)) throw new Error(`image ${c.image} is no platform service`);
  return s;
};

/** A container's environment as it would start: literal values, ConfigMaps resolved, secrets and fields as samples. */
function containerEnv(objs: K8sObject[], c: Container): Record<string, string> {
  const configMap = (name: string) => objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name)?.data ?? {};
  const env: Record<string, string> = {};
  for (const from of c.envFrom ?? []) Object.assign(env, configMap(from.configMapRef!.name));
  for (const v of c.env ?? []) {
    const ref = v.valueFrom;
    if (v.value !== undefined) env[v.name] = v.value;
    else if (ref?.configMapKeyRef) env[v.name] = configMap(ref.configMapKeyRef.name)[ref.configMapKeyRef.key];
    else if (ref?.secretKeyRef)
      env[v.name] = ref.secretKeyRef.key.endsWith('-url') ? 'postgres://role:secret@db.example:5432/evcs' : 'a-sample-secret-value-0123456789';
    else if (ref?.fieldRef) env[v.name] = 'pod-0';
  }
  return env;
}

/** Who may open a connection to each app, by the NetworkPolicies (an app's name, or EDGE for the edge's pods). */
function allowedCallers(objs: K8sObject[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const p of objs.filter((o) => o.kind === 'NetworkPolicy') as unknown as Policy[]) {
    const target = p.spec.podSelector.matchLabels?.[NAME];
    if (!target) continue;
    for (const rule of p.spec.ingress ?? []) {
      // a rule with no `from` admits every source
      if (!rule.from) (out[target] ??= []).push('anyone');
      for (const f of rule.from ?? []) {
        const labels = f.podSelector?.matchLabels ?? {};
        const caller = labels['evcs.io/edge'] === 'true' ? EDGE : labels[NAME];
        // an entry matching everything (no labels) would let anyone in: named as such
        (out[target] ??= []).push(caller ?? (f.namespaceSelector || f.ipBlock ? 'anyone' : 'the whole namespace'));
      }
    }
  }
  for (const k of Object.keys(out)) out[k].sort();
  return out;
}

describe.each(overlays)('ops/deploy/k8s/overlays/%s', (overlay) => {
  const objs = render(overlay);

  it('renders, and every object validates against the Kubernetes schemas', () => {
    expect(objs.length).toBeGreaterThan(20);
    for (const o of objs) {
      const Model = MODELS[`${o.apiVersion}/${o.kind}`];
      expect([o.kind, o.metadata.name, Boolean(Model)]).toEqual([o.kind, o.metadata.name, true]);
      expect(() => new Model(o as never).validate()).not.toThrow();
    }
  });

  it('commits no secret: they are referenced only', () => {
    expect(objs.filter((o) => o.kind === 'Secret')).toEqual([]);
  });

  it('runs every service, the bridge as a StatefulSet with its pod name as BRIDGE_ID, and a migration Job', () => {
    const images = workloads(objs).flatMap((w) => w.spec!.template!.spec.containers.map(serviceOf));
    expect([...images].sort()).toEqual([...SERVICES].sort());
    const bridge = objs.find((o) => o.kind === 'StatefulSet')!;
    expect(bridge.metadata.name).toBe('protocol-bridge');
    expect(bridge.spec!.template!.spec.containers[0].env!.find((e) => e.name === 'BRIDGE_ID')?.valueFrom?.fieldRef?.fieldPath).toBe('metadata.name');
    expect(objs.find((o) => o.kind === 'Job')?.spec!.template!.spec.containers[0].image).toMatch(/migrate/);
  });

  it('probes and resources on every long-running container, the edge included; autoscalers for router and subgraphs, budgets for all', () => {
    for (const w of allWorkloads(objs).filter((o) => o.kind !== 'Job'))
      for (const c of w.spec!.template!.spec.containers) {
        expect([c.name, Boolean(c.livenessProbe), Boolean(c.readinessProbe)]).toEqual([c.name, true, true]);
        expect([c.name, c.resources?.requests?.cpu !== undefined, c.resources?.limits?.memory !== undefined]).toEqual([c.name, true, true]);
      }
    const hpas = objs.filter((o) => o.kind === 'HorizontalPodAutoscaler').map((o) => (o.spec!.scaleTargetRef as { name: string }).name);
    expect([...hpas].sort()).toEqual(['router', ...SUBGRAPHS].sort());
    const pdbs = objs
      .filter((o) => o.kind === 'PodDisruptionBudget')
      .map((o) => (o.spec!.selector as { matchLabels: Record<string, string> }).matchLabels[NAME]);
    expect([...pdbs].sort()).toEqual(['edge', 'protocol-bridge', 'router', ...SUBGRAPHS].sort());
  });

  it('gives each container only variables its service reads, enough to start, and the key files it names', () => {
    for (const w of workloads(objs))
      for (const c of w.spec!.template!.spec.containers) {
        const service = serviceOf(c);
        const env = containerEnv(objs, c);
        expect([service, unknownVariables(service, Object.keys(env))]).toEqual([service, []]);
        expect([service, startupProblems(service, env)]).toEqual([service, []]);
        const mounted = (w.spec!.template!.spec.volumes ?? []).flatMap((v) => (v.secret?.items ?? []).map((i) => `/keys/${i.path}`));
        for (const [k, v] of Object.entries(env)) if (k.endsWith('_FILE')) expect([service, k, mounted.includes(v)]).toEqual([service, k, true]);
      }
  });

  it('gives assets and the bridge the diagnostics upload secret from the same Secret key (referenced, never a value), and assets the upload URL', () => {
    const containerOf = (service: Service) =>
      workloads(objs)
        .flatMap((w) => w.spec!.template!.spec.containers)
        .find((c) => serviceOf(c) === service)!;
    const secretRef = (service: Service) => containerOf(service).env?.find((e) => e.name === 'DIAGNOSTICS_UPLOAD_SECRET');
    for (const service of ['assets', 'protocol-bridge'] as const) {
      expect([service, secretRef(service)?.value, secretRef(service)?.valueFrom?.secretKeyRef]).toEqual([
        service,
        undefined,
        { name: 'evcs-diagnostics', key: 'upload-secret' },
      ]);
    }
    expect(containerEnv(objs, containerOf('assets')).ASSETS_DIAGNOSTICS_UPLOAD_URL).toMatch(/^https:\/\//);
  });

  it('lets only the router reach the subgraphs, besides the services that call them; the edge alone reaches router and bridge', () => {
    const policies = objs.filter((o) => o.kind === 'NetworkPolicy') as unknown as Policy[];
    const everyPod = (p: Policy) => !p.spec.podSelector.matchLabels && !p.spec.podSelector.matchExpressions;
    expect(policies.some((p) => everyPod(p) && !p.spec.ingress)).toBe(true); // default deny
    expect(policies.filter((p) => everyPod(p) && p.spec.ingress)).toEqual([]);
    const allowed = allowedCallers(objs);
    expect(allowed).toEqual({
      router: [EDGE],
      'protocol-bridge': [EDGE],
      tenants: ['assets', 'protocol-bridge', 'router'],
      assets: [EDGE, 'orders', 'protocol-bridge', 'router', 'tariffs'],
      tariffs: ['orders', 'protocol-bridge', 'router'],
      orders: ['payments', 'router', 'tariffs'],
      payments: [EDGE, 'router'],
      // chargers and browsers, from outside the cluster
      edge: ['anyone'],
    });
    // every service-to-service URL a container is given is one the policies allow
    for (const w of workloads(objs))
      for (const c of w.spec!.template!.spec.containers)
        for (const url of Object.values(containerEnv(objs, c))) {
          const target = /^https?:\/\/([a-z-]+):\d+\//.exec(url)?.[1];
          if (target) expect([serviceOf(c), target, (allowed[target] ?? []).includes(serviceOf(c))]).toEqual([serviceOf(c), target, true]);
        }
  });
});

describe.each(overlays)('ops/deploy/k8s/overlays/%s: the edge', (overlay) => {
  const objs = render(overlay);
  const edges = allWorkloads(objs).filter(isEdge);
  const edge = edges[0];
  const pod = edge.spec!.template!;
  const c = pod.spec.containers[0];
  const env = containerEnv(objs, c);
  const service = (name: string) => objs.find((o) => o.kind === 'Service' && o.metadata.name === name);
  const portsOf = (o: K8sObject | undefined) => (o?.spec?.ports ?? []) as { name?: string; port: number; targetPort?: string | number }[];
  /** `server host:port;` entries of the EDGE_*_SERVERS variables, as host:port. */
  const upstreams = Object.entries(env)
    .filter(([k]) => /^EDGE_[A-Z]+_SERVERS$/.test(k))
    .flatMap(([, v]) => [...v.matchAll(/server ([^\s;]+);/g)].map((m) => m[1]));

  it("is one Deployment of the Dockerfile's edge image, non-root, its pods labelled as the edge the policies admit", () => {
    expect(edges.map((w) => [w.kind, w.metadata.name, pod.spec.containers.length])).toEqual([['Deployment', 'edge', 1]]);
    expect(c.image).toMatch(/^(.*\/)?evcs\/edge(:.+)?$/);
    expect(pod.metadata?.labels).toMatchObject({ [NAME]: 'edge', 'evcs.io/edge': 'true' });
    expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 101 });
  });

  it('gives it only variables render.sh reads, and the TLS certificate and key from the Secret evcs-edge-tls, mounted', () => {
    const renderSh = readFileSync(path.join(DEPLOY_DIR, 'edge/render.sh'), 'utf8');
    const known = new Set([...renderSh.matchAll(/^export (EDGE_[A-Z_]+)=/gm)].map((m) => m[1]));
    expect(Object.keys(env).filter((k) => !known.has(k))).toEqual([]);
    const tls = pod.spec.volumes?.find((v) => v.secret?.secretName === 'evcs-edge-tls');
    const mount = c.volumeMounts?.find((m) => m.name === tls?.name);
    expect(tls?.secret?.items).toEqual([
      { key: 'tls.crt', path: 'tls.crt' },
      { key: 'tls.key', path: 'tls.key' },
    ]);
    expect([env.EDGE_TLS_CERT, env.EDGE_TLS_KEY]).toEqual([`${mount?.mountPath}/tls.crt`, `${mount?.mountPath}/tls.key`]);
  });

  it('listens where its container ports and its LoadBalancer Service say (443, 80, YKC 8767), probed on its own /healthz', () => {
    const containerPort = (name: string) => c.ports?.find((p) => p.name === name)?.containerPort;
    expect([env.EDGE_HTTPS_LISTEN, env.EDGE_HTTP_LISTEN, env.EDGE_YKC_LISTEN].map(Number)).toEqual(['https', 'http', 'ykc'].map(containerPort));
    const svc = service('edge')!;
    expect(svc.spec!.type).toBe('LoadBalancer');
    expect(portsOf(svc).map((p) => [p.port, p.targetPort])).toEqual([
      [443, 'https'],
      [80, 'http'],
      [8767, 'ykc'],
    ]);
    for (const probe of [c.livenessProbe, c.readinessProbe]) expect(probe).toMatchObject({ httpGet: { path: '/healthz', port: 'http' } });
    expect(readFileSync(path.join(DEPLOY_DIR, 'edge/nginx.conf.template'), 'utf8')).toMatch(/location = \/healthz \{/);
  });

  it('sends each upstream to a Service that exists on that port: router, the bridge (OCPP and YKC), assets and payments', () => {
    expect([...upstreams].sort()).toEqual(['assets:4002', 'payments:4005', 'protocol-bridge:4100', 'protocol-bridge:4101', 'router:4000']);
    for (const u of upstreams) {
      const [name, port] = u.split(':');
      expect([u, portsOf(service(name)).some((p) => p.port === Number(port))]).toEqual([u, true]);
    }
  });

  it("is let through by the policies exactly to its upstreams (and payments, for the payment channels' notifications)", () => {
    const reach: string[] = [];
    for (const p of objs.filter((o) => o.kind === 'NetworkPolicy') as unknown as Policy[])
      for (const rule of p.spec.ingress ?? [])
        if ((rule.from ?? []).some((f) => f.podSelector?.matchLabels?.['evcs.io/edge'] === 'true'))
          for (const port of rule.ports ?? []) reach.push(`${p.spec.podSelector.matchLabels?.[NAME]}:${port.port}`);
    // the Services' ports are their pods' ports here, so a policy's port is the upstream's
    expect([...reach].sort()).toEqual([...upstreams].sort());
  });

  it("has the router and the bridge trust the same edge range, and payments tell the channels the edge's https address", () => {
    const envOf = (name: string) => containerEnv(objs, workloads(objs).find((w) => w.metadata.name === name)!.spec!.template!.spec.containers[0]);
    const trusted = envOf('router').ROUTER_TRUSTED_PROXIES;
    expect(trusted).toMatch(/^\d+\.\d+\.\d+\.\d+\/\d+$/);
    expect(envOf('protocol-bridge').BRIDGE_TRUSTED_PROXIES).toBe(trusted);
    expect(envOf('payments').PAYMENTS_PUBLIC_URL).toMatch(/^https:\/\//);
  });

  it("derives the chargers' diagnostics upload URL and payments' public URL from the overlay's edge URL: https under its host, not the base's placeholder", () => {
    const envOf = (name: string) => containerEnv(objs, workloads(objs).find((w) => w.metadata.name === name)!.spec!.template!.spec.containers[0]);
    const edgeConfig = (list: K8sObject[]) => list.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'evcs-edge')!.data!;
    const base = edgeConfig(parseAllDocuments(readFileSync(path.join(DEPLOY_DIR, 'k8s/base/config.yaml'), 'utf8')).map((d) => d.toJS() as K8sObject));
    const publicUrl = edgeConfig(objs)['public-url'];
    const edge = new URL(publicUrl);
    // the overlay's own: https, a host name and nothing else, not the base's `.invalid` stand-in
    expect([edge.protocol, edge.pathname, edge.search, edge.port]).toEqual(['https:', '/', '', '']);
    expect(edge.hostname).toMatch(/^([a-z0-9-]+\.)+[a-z]{2,}$/);
    expect(edge.hostname).not.toMatch(/\.invalid$/);
    expect(publicUrl).not.toBe(base['public-url']);
    // both derived from it (the overlay's replacements), whatever the base's keys say
    const diagnostics = envOf('assets').ASSETS_DIAGNOSTICS_UPLOAD_URL;
    expect([diagnostics, envOf('payments').PAYMENTS_PUBLIC_URL]).toEqual([publicUrl, publicUrl]);
    // where assets sends chargers (`<url>/diagnostics/<id>`, commands.ts): the edge's https /diagnostics/, which proxies to assets
    const upload = new URL(`${diagnostics.replace(/\/+$/, '')}/diagnostics/an-upload-id`);
    expect([upload.protocol, upload.host, upload.pathname]).toEqual(['https:', edge.host, '/diagnostics/an-upload-id']);
    expect(readFileSync(path.join(DEPLOY_DIR, 'edge/nginx.conf.template'), 'utf8')).toMatch(/listen \$\{EDGE_HTTPS_LISTEN\}[^]*?location \/diagnostics\/ \{/);
  });
});

describe.each(overlays)('ops/deploy/k8s/overlays/%s: metrics', (overlay) => {
  const objs = render(overlay);
  const longRunning = workloads(objs).filter((o) => o.kind !== 'Job');
  const metricsPolicy = (objs.filter((o) => o.kind === 'NetworkPolicy') as unknown as Policy[]).find((p) => p.metadata.name === 'metrics-from-prometheus')!;
  const opens = (port: number) => (metricsPolicy.spec.ingress ?? []).some((r) => (r.ports ?? []).some((p) => port >= p.port && port <= (p.endPort ?? p.port)));

  it('gives every service a metrics port at PORT + 5400, announced to Prometheus by annotations', () => {
    for (const w of longRunning) {
      const c = w.spec!.template!.spec.containers[0];
      const expected = Number(containerEnv(objs, c).PORT) + METRICS_PORT_OFFSET;
      expect([serviceOf(c), c.ports?.find((p) => p.name === 'metrics')?.containerPort]).toEqual([serviceOf(c), expected]);
      expect([serviceOf(c), w.spec!.template!.metadata?.annotations]).toEqual([
        serviceOf(c),
        { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(expected), 'prometheus.io/path': '/metrics' },
      ]);
    }
  });

  it('lets only Prometheus reach the metrics ports, and Prometheus only those; no Service publishes them', () => {
    const apps = new Set(longRunning.map((w) => w.spec!.template!.metadata!.labels![NAME]));
    expect(new Set(metricsPolicy.spec.podSelector.matchExpressions?.flatMap((e) => (e.key === NAME && e.operator === 'In' ? e.values : [])))).toEqual(apps);
    const from = (metricsPolicy.spec.ingress ?? []).flatMap((r) => r.from ?? []);
    expect(from.map((f) => f.podSelector?.matchLabels)).toEqual([{ 'evcs.io/prometheus': 'true' }]);
    for (const w of longRunning)
      for (const p of w.spec!.template!.spec.containers[0].ports ?? [])
        expect([w.metadata.name, p.name, opens(p.containerPort)]).toEqual([w.metadata.name, p.name, p.name === 'metrics']);
    const published = objs.filter((o) => o.kind === 'Service').flatMap((o) => (o.spec!.ports as { targetPort?: string | number }[]).map((p) => p.targetPort));
    expect(published).not.toContain('metrics');
  });
});

describe('the checks above', () => {
  it('fail on an invalid object (a probe: a wrong enum value)', () => {
    const bad = {
      metadata: { name: 'x' },
      spec: { selector: { matchLabels: { a: 'b' } }, template: { spec: { containers: [{ name: 'c', image: 'i', imagePullPolicy: 'Sometimes' }] } } },
    };
    expect(() => new Deployment(bad as never).validate()).toThrow(/imagePullPolicy/);
  });
});
