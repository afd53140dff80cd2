import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { createKnex } from '@evcs/platform';
import { DemoStation, seedDemoAssets } from '@evcs/assets';
import { JWKS_PATH, PasswordHasher, SeedUser, seedIdTags, seedTenantWithAdmin } from '@evcs/tenants';
import { seedDemoTariffs } from '@evcs/tariffs';
import { METRICS_PORT_OFFSET } from '@evcs/platform';
import { canListen, ensureKafka, freePort, REPO_ROOT } from '@evcs/testkit';
import { RunningPaySandboxes, startPaySandboxes } from '@evcs/pay-sandboxes';
import { prepareDatabase } from './database';
import { DevKeys, ensureDevKeys, mintClientToken } from './keys';
import { ProcessGroup } from './processes';

export const SUBGRAPH_PORTS = { tenants: 4001, assets: 4002, tariffs: 4003, orders: 4004, payments: 4005 } as const;
export type SubgraphName = keyof typeof SUBGRAPH_PORTS;

export interface StackOptions {
  database: string;
  superuserUrl?: string;
  /** Kafka namespace prefixing topics and groups; tests use a unique one */
  kafkaNamespace?: string;
  /** fixed ports (npm start) or ephemeral ones (tests) */
  ports?: 'default' | 'ephemeral';
  keysDir?: string;
  quiet?: boolean;
  /** how many router instances (subscription fan-out is tested with two) */
  routers?: number;
  onUnexpectedExit?: (name: string, code: number | null) => void;
  /** Further environment for every process (tests: OTEL_* to export traces to a local receiver). */
  env?: Record<string, string>;
  /** another broker than the shared one (a fault drill kills its own); default: ensureKafka's */
  kafkaBrokers?: string[];
  /** how many protocol bridges (a drill kills one and its chargers move to the other); default 1 */
  bridges?: number;
  /** the database URL one subgraph gets instead of the common one (a drill puts a stalling proxy there) */
  subgraphDatabaseUrl?: (name: SubgraphName, appUrl: string) => string;
  /** where assets tells chargers to upload diagnostics (the edge's address, in its test); default: assets itself */
  diagnosticsUploadUrl?: string;
  /** where payments tells the channels to post notifications (the edge's https address, in its test); default: payments itself */
  paymentsPublicUrl?: string;
  /** a CA the pay sandboxes trust when notifying paymentsPublicUrl (the edge test's own certificate) */
  paySandboxNotifyCa?: string;
}

export interface DemoTenant {
  id: string;
  code: string;
  name: string;
  type?: 'PLATFORM' | 'OPERATOR' | 'PARTNER';
  parentId?: string | null;
  /** the tenant's limits (null or absent = unlimited), enforced where stations and chargers are created */
  quotas?: { maxUsers?: number | null; maxStations?: number | null; maxChargers?: number | null };
  /** users, a station-scoped one naming its stations by code (`stationCodes`: their ids are known once seeded) */
  users?: (SeedUser & { stationCodes?: string[] })[];
  /** existing users get these passwords again (the local demo: see SeedTenant.resetPasswords) */
  resetPasswords?: boolean;
  stations: DemoStation[];
}

export interface LoginResult {
  accessToken: string;
  refreshToken: string;
}

export interface Stack {
  routerUrls: string[];
  bridgeUrl: string;
  /** every bridge's OCPP URL, the first being bridgeUrl */
  bridgeUrls: string[];
  /** Where YKC piles connect (TCP). */
  ykcAddress: { host: string; port: number };
  subgraphUrls: Record<SubgraphName, string>;
  keys: DevKeys;
  appDatabaseUrl: string;
  /** the brokers every service was given */
  kafkaBrokers: string[];
  processes: ProcessGroup;
  /** the local Alipay and WeChat Pay sandboxes the payments subgraph talks to */
  paySandboxes: RunningPaySandboxes;
  /** Where Prometheus scrapes each service: job (`evcs-<service>`) → host:port of its internal metrics port. */
  metricsTargets: Record<string, string[]>;
  seedTenant(t: DemoTenant): Promise<void>;
  /** a minted access token (no user behind it): for tests that need many identities */
  tokenFor(tenantId: string, subject?: string): Promise<string>;
  /** sign in for real, through the router and the tenants subgraph */
  login(tenantCode: string, username: string, password: string): Promise<LoginResult>;
  stop(): Promise<void>;
}

export { freePort } from '@evcs/testkit';

const dist = (pkgDir: string) => path.join(REPO_ROOT, pkgDir, 'dist/src/main.js');

const RELAXED_RATE_LIMITS = {
  ROUTER_RATE_SIGNIN_PER_IP: '100000/60',
  ROUTER_RATE_SIGNIN_PER_USERNAME: '100000/60',
  ROUTER_RATE_REFRESH_PER_IP: '100000/60',
  ROUTER_RATE_REQUESTS_PER_IDENTITY: '100000000/60',
};

const rateLimitEnv = (ephemeral: boolean): Record<string, string> => (ephemeral ? RELAXED_RATE_LIMITS : {});

/** The environment every service, router and bridge gets. */
function commonEnv(appUrl: string, brokers: string[], kafkaNamespace: string | undefined, internalJwksFile: string) {
  return {
    DATABASE_URL: appUrl,
    KAFKA_BROKERS: brokers.join(','),
    // every service, router and bridge included, names its topics and groups within it
    KAFKA_NAMESPACE: kafkaNamespace ?? '',
    INTERNAL_JWKS_FILE: internalJwksFile,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    // As deployed. graphql-js' development-mode checks (its instanceOf guard against two
    // copies of graphql) were ~4 % of a subgraph's CPU under load.
    NODE_ENV: process.env.NODE_ENV ?? 'production',
  };
}

/**
 * Fixed ports: say which are taken before starting anything, rather than let one service
 * die on EADDRINUSE while the others come up.
 */
async function assertFixedPortsFree(): Promise<void> {
  const wanted = [...Object.values(SUBGRAPH_PORTS), 4000, 4100, 4101, 4201, 4202];
  wanted.push(...[...Object.values(SUBGRAPH_PORTS), 4000, 4100].map((p) => p + METRICS_PORT_OFFSET));
  const busy = (await Promise.all(wanted.map(async (p) => ((await canListen(p)) ? null : p)))).filter((p) => p !== null);
  if (busy.length) throw new Error(`ports in use: ${busy.join(', ')} — is another \`npm start\` running? Stop it (Ctrl-C) or free the ports.`);
}

/** The protocol bridge(s): `bridge`, `bridge-2`, … each with its own OCPP and YKC port and bridge id. */
async function startBridges(
  group: ProcessGroup,
  count: number | undefined,
  port: (def: number) => Promise<number>,
  common: Record<string, string>,
  subgraphUrls: Record<SubgraphName, string>,
  keys: DevKeys,
  metrics: (job: string, def: number) => Promise<string>,
): Promise<{ bridgeUrls: string[]; ykcAddress: { host: string; port: number } }> {
  const bridgeUrls: string[] = [];
  let ykcAddress = { host: '127.0.0.1', port: 0 };
  for (let i = 0; i < (count ?? 1); i++) {
    const bridgePort = await port(4100 + 10 * i);
    const ykcPort = await port(4101 + 10 * i);
    await group.start({
      name: `bridge${i === 0 ? '' : `-${i + 1}`}`,
      script: dist('protocol-bridge'),
      env: {
        ...common,
        PORT: String(bridgePort),
        METRICS_PORT: await metrics('evcs-protocol-bridge', bridgePort),
        YKC_PORT: String(ykcPort),
        ASSETS_URL: subgraphUrls.assets,
        TARIFFS_URL: subgraphUrls.tariffs,
        TENANTS_URL: subgraphUrls.tenants,
        BRIDGE_SIGNING_KEY_FILE: keys.bridgeKeyFile,
        BRIDGE_ID: `bridge-${process.pid}${i === 0 ? '' : `-${i + 1}`}`,
      },
      readyUrl: `http://127.0.0.1:${bridgePort}/health/ready`,
    });
    bridgeUrls.push(`ws://127.0.0.1:${bridgePort}/ocpp`);
    if (i === 0) ykcAddress = { host: '127.0.0.1', port: ykcPort };
  }
  return { bridgeUrls, ykcAddress };
}

/** Where assets sends chargers' diagnostics uploads: the caller's (an edge in front), else assets itself. */
function diagnosticsUploadUrl(opts: StackOptions, assetsPort: number): string {
  return opts.diagnosticsUploadUrl ?? `http://127.0.0.1:${assetsPort}`;
}

/** Where the payment channels post notifications: the caller's (an edge in front), else payments itself. */
function paymentsPublicUrl(opts: StackOptions, paymentsPort: number): string {
  return opts.paymentsPublicUrl ?? `http://127.0.0.1:${paymentsPort}`;
}

/** Start the whole platform as real processes: five subgraphs, router(s), bridge. */
export async function startStack(opts: StackOptions): Promise<Stack> {
  const superuserUrl = opts.superuserUrl ?? process.env.PG_SUPERUSER_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const brokers = opts.kafkaBrokers ?? (await ensureKafka());
  const keys = await ensureDevKeys(opts.keysDir ?? path.join(REPO_ROOT, '.cache/keys'));
  const { appUrl } = await prepareDatabase(superuserUrl, opts.database);
  const ephemeral = opts.ports === 'ephemeral';
  const databaseUrl = opts.subgraphDatabaseUrl ?? ((_name: SubgraphName, url: string) => url);
  const port = async (def: number) => (ephemeral ? freePort() : def);
  // Every service's internal metrics port: PORT + 5400 when fixed (the services' own default), free ones in tests.
  const metricsTargets: Record<string, string[]> = {};
  const metrics = async (job: string, servicePort: number): Promise<string> => {
    const p = ephemeral ? await freePort() : servicePort + METRICS_PORT_OFFSET;
    (metricsTargets[job] ??= []).push(`127.0.0.1:${p}`);
    return String(p);
  };

  const common = { ...commonEnv(appUrl, brokers, opts.kafkaNamespace, keys.internalJwksFile), ...opts.env };
  // shared by assets and the bridge(s) of this stack only: diagnostics upload tokens derive from it
  const diagnosticsSecret = randomBytes(32).toString('hex');
  const group = new ProcessGroup({ quiet: opts.quiet, onExit: opts.onUnexpectedExit });
  if (!ephemeral) await assertFixedPortsFree();
  // fresh sandbox keys every start; concurrent test stacks each get their own files
  const paySandboxes = await startPaySandboxes({
    dir: path.join(REPO_ROOT, '.cache/pay-sandboxes', ephemeral ? `${process.pid}-${Date.now().toString(36)}` : 'dev'),
    ports: ephemeral ? { alipay: 0, wechatpay: 0 } : undefined,
    removeOnStop: ephemeral,
    notifyCa: opts.paySandboxNotifyCa,
  });
  try {
    const names = Object.keys(SUBGRAPH_PORTS) as SubgraphName[];
    const subgraphPorts = {} as Record<SubgraphName, number>;
    for (const name of names) subgraphPorts[name] = await port(SUBGRAPH_PORTS[name]);
    const subgraphUrls = Object.fromEntries(names.map((n) => [n, `http://127.0.0.1:${subgraphPorts[n]}/graphql`])) as Record<SubgraphName, string>;
    // What a subgraph needs beyond the common env. Assets asks the tenants subgraph
    // for quotas only when something is created, so the start order does not matter.
    const extraEnv: Partial<Record<SubgraphName, Record<string, string>>> = {
      tenants: { AUTH_SIGNING_KEYS_FILE: keys.authKeysFile },
      // chargers upload GetDiagnostics files to assets directly (or through the edge, diagnosticsUploadUrl); the bridge derives their one-time tokens with the same secret
      assets: {
        TENANTS_URL: subgraphUrls.tenants,
        ASSETS_SIGNING_KEY_FILE: keys.assetsKeyFile,
        ASSETS_DIAGNOSTICS_UPLOAD_URL: diagnosticsUploadUrl(opts, subgraphPorts.assets),
        DIAGNOSTICS_UPLOAD_SECRET: diagnosticsSecret,
      },
      // orders looks chargers up in assets and prices sessions with tariffs, when events arrive
      orders: { ASSETS_URL: subgraphUrls.assets, TARIFFS_URL: subgraphUrls.tariffs, ORDERS_SIGNING_KEY_FILE: keys.ordersKeyFile },
      // a tariff binding takes the charger's station and protocol from assets; tariffImpact pages through orders' completed sessions
      tariffs: { ASSETS_URL: subgraphUrls.assets, ORDERS_URL: subgraphUrls.orders, TARIFFS_SIGNING_KEY_FILE: keys.tariffsKeyFile },
      // payments talks to the local Alipay and WeChat Pay sandboxes, which notify it back over HTTP, and asks
      // orders for a payable order whose order.completed has not reached it yet
      payments: {
        ...paySandboxes.env,
        PAYMENTS_PUBLIC_URL: paymentsPublicUrl(opts, subgraphPorts.payments),
        ORDERS_URL: subgraphUrls.orders,
        PAYMENTS_SIGNING_KEY_FILE: keys.paymentsKeyFile,
      },
    };
    await Promise.all(
      names.map(async (name) => {
        const p = subgraphPorts[name];
        await group.start({
          name,
          script: dist(`subgraphs/${name}`),
          env: { ...common, ...extraEnv[name], PORT: String(p), METRICS_PORT: await metrics(`evcs-${name}`, p), DATABASE_URL: databaseUrl(name, appUrl) },
          readyUrl: `http://127.0.0.1:${p}/health/ready`,
        });
      }),
    );
    const subgraphEnv = Object.fromEntries(Object.entries(subgraphUrls).map(([n, u]) => [`SUBGRAPH_URL_${n.toUpperCase()}`, u]));
    const routerUrls: string[] = [];
    for (let i = 0; i < (opts.routers ?? 1); i++) {
      const p = await port(4000 + (i === 0 ? 0 : 10 + i));
      await group.start({
        name: `router${i === 0 ? '' : `-${i + 1}`}`,
        script: dist('router'),
        env: {
          // Test, drill and benchmark stacks sign dozens of users in from one address within seconds
          // and load the router from one identity: their limits are far above the defaults (which
          // router/test/rate-limits.int.test.ts holds). `opts.env` still overrides.
          ...rateLimitEnv(ephemeral),
          ...common,
          ...subgraphEnv,
          PORT: String(p),
          METRICS_PORT: await metrics('evcs-router', p),
          SUPERGRAPH_PATH: path.join(REPO_ROOT, 'schema/supergraph.graphql'),
          // the tenants subgraph's JWKS: key rotation reaches the router without a restart
          AUTH_JWKS_URL: subgraphUrls.tenants.replace(/\/graphql$/, JWKS_PATH),
          ROUTER_SIGNING_KEY_FILE: keys.routerKeyFile,
          INSTANCE_ID: `router-${i + 1}-${process.pid}-${Date.now().toString(36)}`,
        },
        readyUrl: `http://127.0.0.1:${p}/health/ready`,
      });
      routerUrls.push(`http://127.0.0.1:${p}/graphql`);
    }
    const { bridgeUrls, ykcAddress } = await startBridges(
      group,
      opts.bridges,
      port,
      { ...common, DIAGNOSTICS_UPLOAD_SECRET: diagnosticsSecret },
      subgraphUrls,
      keys,
      metrics,
    );

    const app = createKnex({ connectionString: appUrl, schema: 'assets', pool: { max: 2 } });
    const hasher = new PasswordHasher();
    return {
      routerUrls,
      bridgeUrl: bridgeUrls[0],
      bridgeUrls,
      ykcAddress,
      subgraphUrls,
      keys,
      appDatabaseUrl: appUrl,
      kafkaBrokers: brokers,
      processes: group,
      paySandboxes,
      metricsTargets,
      seedTenant: async (t) => {
        const tenant = { id: t.id, code: t.code, name: t.name, type: t.type ?? 'OPERATOR', parentId: t.parentId ?? null, quotas: t.quotas };
        // the tenant first, then its stations, then its users: a station manager's scope names station ids
        await seedTenantWithAdmin(app, hasher, { ...tenant, users: [] });
        const stationIds = await seedDemoAssets(app, t.id, t.stations);
        const users = (t.users ?? []).map(({ stationCodes, ...u }) => {
          const unknown = (stationCodes ?? []).filter((c) => !stationIds[c]);
          if (unknown.length) throw new Error(`user ${u.username}: no station ${unknown.join(', ')} in tenant ${t.code}`);
          return stationCodes ? { ...u, stationIds: [...(u.stationIds ?? []), ...stationCodes.map((c) => stationIds[c])] } : u;
        });
        await seedTenantWithAdmin(app, hasher, { ...tenant, users, resetPasswords: t.resetPasswords });
        await seedDemoTariffs(app, t.id);
        // The simulator's OCPP chargers start sessions with SIM-TAG-<connector>: the tenant's authority knows them.
        await seedIdTags(app, t.id, ['SIM-TAG-1', 'SIM-TAG-2']);
      },
      login: async (tenantCode, username, password) => {
        const res = await fetch(routerUrls[0], {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            query: /* GraphQL */ `mutation StackSignIn($i: LoginInput!) { login(input: $i) { accessToken refreshToken userErrors { code message } } }`,
            variables: { i: { tenantCode, username, password } },
          }),
        });
        const body = (await res.json()) as {
          data?: { login: { accessToken: string | null; refreshToken: string; userErrors: { code: string; message: string }[] } };
          errors?: unknown;
        };
        const p = body.data?.login;
        if (!p?.accessToken) throw new Error(`login failed: ${JSON.stringify(p?.userErrors ?? body.errors)}`);
        return { accessToken: p.accessToken, refreshToken: p.refreshToken };
      },
      tokenFor: (tenantId, subject = `user-of-${tenantId}`) =>
        mintClientToken(keys, {
          subject,
          tenantId,
          roles: ['OPERATOR_ADMIN'],
          permissions: ['station:read', 'station:write', 'charger:write', 'tariff:read', 'tariff:write', 'order:read', 'payment:read'],
        }),
      stop: async () => {
        await app.destroy();
        await group.stopAll();
        await paySandboxes.stop();
      },
    };
  } catch (e) {
    await group.stopAll();
    await paySandboxes.stop();
    throw e;
  }
}
