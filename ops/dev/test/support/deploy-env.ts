import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { subgraphEnv } from '@evcs/platform';
import { AssetsEnv, diagnosticsUploadsOf } from '@evcs/assets';
import { OrdersEnv } from '@evcs/orders';
import { PaymentsEnv } from '@evcs/payments';
import { BridgeEnv } from '@evcs/protocol-bridge';
import { loadEnv, RouterEnvSchema } from '@evcs/router';
import { TariffsEnv } from '@evcs/tariffs';
import { TenantsEnv } from '@evcs/tenants';
import { REPO_ROOT } from '@evcs/testkit';
import { MigrateEnv } from '../../src/migrate-env';

export const DEPLOY_DIR = path.join(REPO_ROOT, 'ops/deploy');

/** The services an image is built for (the Dockerfile's SERVICE) and the env schema each one parses. */
export const SERVICES = ['router', 'tenants', 'assets', 'tariffs', 'orders', 'payments', 'protocol-bridge', 'migrate'] as const;
export type Service = (typeof SERVICES)[number];

const SUBGRAPH_PORTS: Record<string, number> = { tenants: 4001, assets: 4002, tariffs: 4003, orders: 4004, payments: 4005 };
const SUBGRAPH_OWN: Record<string, z.AnyZodObject> = { tenants: TenantsEnv, assets: AssetsEnv, tariffs: TariffsEnv, orders: OrdersEnv, payments: PaymentsEnv };

/** Variables the runtime reads besides the services' own schemas (Node itself). */
const RUNTIME_VARIABLES = new Set(['NODE_ENV']);
/** What the image sets (ops/deploy/Dockerfile's ENV). */
export const IMAGE_ENV = { NODE_ENV: 'production', HOST: '0.0.0.0' };

function schemaOf(service: Service): z.AnyZodObject {
  if (service === 'router') return RouterEnvSchema;
  if (service === 'protocol-bridge') return BridgeEnv.innerType();
  if (service === 'migrate') return MigrateEnv;
  return subgraphEnv(SUBGRAPH_PORTS[service]).merge(SUBGRAPH_OWN[service]);
}

/** Names `env` gives the service that its schema does not read (a typo, or a variable that went away). */
export function unknownVariables(service: Service, names: string[]): string[] {
  const known = new Set(Object.keys(schemaOf(service).shape));
  return names.filter((n) => !known.has(n) && !RUNTIME_VARIABLES.has(n) && !(service === 'router' && /^SUBGRAPH_URL_[A-Z0-9_]+$/.test(n)));
}

/**
 * Parse the environment as the service would at start (the image's ENV under it): the problems,
 * or [] — so a required variable left out or a malformed value fails here, not at a deploy.
 */
export function startupProblems(service: Service, env: Record<string, string>): string[] {
  const full = { ...IMAGE_ENV, ...env };
  try {
    if (service === 'router') loadEnv(full);
    else {
      const schema = service === 'protocol-bridge' ? BridgeEnv : schemaOf(service);
      const r = schema.safeParse(full);
      if (!r.success) return r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
      // what assets checks at start beyond its schema: the diagnostics upload URL and secret together
      if (service === 'assets') diagnosticsUploadsOf(AssetsEnv.parse(full));
    }
    return [];
  } catch (e) {
    return [(e as Error).message];
  }
}

/** The services the Dockerfile's entry-point `case` knows. */
export function dockerfileServices(): string[] {
  const text = readFileSync(path.join(DEPLOY_DIR, 'Dockerfile'), 'utf8');
  const arms = [...text.matchAll(/^\s+([a-z|-]+)\) m=/gm)].map((m) => m[1]);
  return arms.flatMap((a) => a.split('|'));
}
