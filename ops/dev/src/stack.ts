import net from 'node:net';
import path from 'node:path';
import { createKnex, kafkaNames, withTenant } from '@evcs/platform';
import { CHARGER_EVENTS_TOPIC } from '@evcs/events';
import { DemoStation, seedDemoAssets } from '@evcs/assets';
import { ensureKafka, REPO_ROOT } from '@evcs/testkit';
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
}

export interface DemoTenant {
  id: string;
  code: string;
  name: string;
  stations: DemoStation[];
}

export interface Stack {
  routerUrls: string[];
  bridgeUrl: string;
  subgraphUrls: Record<SubgraphName, string>;
  keys: DevKeys;
  appDatabaseUrl: string;
  processes: ProcessGroup;
  seedTenant(t: DemoTenant): Promise<void>;
  tokenFor(tenantId: string, subject?: string): Promise<string>;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const dist = (pkgDir: string) => path.join(REPO_ROOT, pkgDir, 'dist/src/main.js');

/** Start the whole platform as real processes: five subgraphs, router(s), bridge. */
export async function startStack(opts: StackOptions): Promise<Stack> {
  const superuserUrl = opts.superuserUrl ?? process.env.PG_SUPERUSER_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const brokers = await ensureKafka();
  const keys = await ensureDevKeys(opts.keysDir ?? path.join(REPO_ROOT, '.cache/keys'));
  const { appUrl } = await prepareDatabase(superuserUrl, opts.database);
  const ephemeral = opts.ports === 'ephemeral';
  const port = async (def: number) => (ephemeral ? freePort() : def);

  const common = {
    DATABASE_URL: appUrl,
    KAFKA_BROKERS: brokers.join(','),
    KAFKA_NAMESPACE: opts.kafkaNamespace ?? '',
    INTERNAL_JWKS_FILE: keys.internalJwksFile,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
  };
  // the bridge and router take the topic name whole; subgraphs derive it from KAFKA_NAMESPACE
  const chargerEventsTopic = kafkaNames(opts.kafkaNamespace ?? '').topic(CHARGER_EVENTS_TOPIC);
  const group = new ProcessGroup({ quiet: opts.quiet, onExit: opts.onUnexpectedExit });
  try {
    const subgraphUrls = {} as Record<SubgraphName, string>;
    await Promise.all(
      (Object.keys(SUBGRAPH_PORTS) as SubgraphName[]).map(async (name) => {
        const p = await port(SUBGRAPH_PORTS[name]);
        subgraphUrls[name] = `http://127.0.0.1:${p}/graphql`;
        await group.start({ name, script: dist(`subgraphs/${name}`), env: { ...common, PORT: String(p) }, readyUrl: `http://127.0.0.1:${p}/health/ready` });
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
          ...common,
          ...subgraphEnv,
          PORT: String(p),
          CHARGER_EVENTS_TOPIC: chargerEventsTopic,
          SUPERGRAPH_PATH: path.join(REPO_ROOT, 'schema/supergraph.graphql'),
          AUTH_JWKS_FILE: keys.clientJwksFile,
          ROUTER_SIGNING_KEY_FILE: keys.routerKeyFile,
          INSTANCE_ID: `router-${i + 1}-${process.pid}-${Date.now().toString(36)}`,
        },
        readyUrl: `http://127.0.0.1:${p}/health/ready`,
      });
      routerUrls.push(`http://127.0.0.1:${p}/graphql`);
    }
    const bridgePort = await port(4100);
    await group.start({
      name: 'bridge',
      script: dist('protocol-bridge'),
      env: { ...common, PORT: String(bridgePort), CHARGER_EVENTS_TOPIC: chargerEventsTopic, ASSETS_URL: subgraphUrls.assets, BRIDGE_SIGNING_KEY_FILE: keys.bridgeKeyFile, BRIDGE_ID: `bridge-${process.pid}` },
      readyUrl: `http://127.0.0.1:${bridgePort}/health/ready`,
    });

    const app = createKnex({ connectionString: appUrl, schema: 'assets', pool: { max: 2 } });
    return {
      routerUrls,
      bridgeUrl: `ws://127.0.0.1:${bridgePort}/ocpp`,
      subgraphUrls,
      keys,
      appDatabaseUrl: appUrl,
      processes: group,
      seedTenant: async (t) => {
        await withTenant(app, t.id, (trx) =>
          trx.raw(`insert into tenants.tenants (id, code, name, type) values (?, ?, ?, 'OPERATOR') on conflict (id) do nothing`, [t.id, t.code, t.name]),
        );
        await seedDemoAssets(app, t.id, t.stations);
      },
      tokenFor: (tenantId, subject = `user-of-${tenantId}`) =>
        mintClientToken(keys, { subject, tenantId, roles: ['OPERATOR_ADMIN'], permissions: ['station:read', 'station:write', 'tariff:read', 'order:read', 'payment:read'] }),
      stop: async () => {
        await app.destroy();
        await group.stopAll();
      },
    };
  } catch (e) {
    await group.stopAll();
    throw e;
  }
}
