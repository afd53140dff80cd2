import { hostname } from 'node:os';
import { AssetsEnv } from '@evcs/assets';
import { OrdersEnv } from '@evcs/orders';
import { PaymentsEnv } from '@evcs/payments/dist/src/config';
import { subgraphEnv } from '@evcs/platform';
import { BridgeEnv } from '@evcs/protocol-bridge/dist/src/env';
import { RouterEnvSchema } from '@evcs/router/dist/src/env';
import { TariffsEnv } from '@evcs/tariffs';
import { TenantsEnv } from '@evcs/tenants';
import type { z } from 'zod';
import { zodToJsonSchema } from 'zod-to-json-schema';
import { OTHER_VARIABLES } from './other-env';
import { GENERATED_NOTE, mdCell } from './markdown';

/** One service and the whole schema it parses its environment with (common variables included). */
export interface ServiceEnv {
  service: string;
  schema: z.ZodTypeAny;
}

/** Every service, with the schema its main parses (the subgraphs': subgraphEnv(port) merged with their own, as runSubgraphMain does). */
export const SERVICE_ENVS: readonly ServiceEnv[] = [
  { service: 'router', schema: RouterEnvSchema },
  { service: 'tenants', schema: subgraphEnv(4001).merge(TenantsEnv) },
  { service: 'assets', schema: subgraphEnv(4002).merge(AssetsEnv) },
  { service: 'tariffs', schema: subgraphEnv(4003).merge(TariffsEnv) },
  { service: 'orders', schema: subgraphEnv(4004).merge(OrdersEnv) },
  { service: 'payments', schema: subgraphEnv(4005).merge(PaymentsEnv) },
  { service: 'protocol-bridge', schema: BridgeEnv },
];
const SUBGRAPHS = ['tenants', 'assets', 'tariffs', 'orders', 'payments'];

interface JsonProp {
  type?: string;
  format?: string;
  pattern?: string;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  default?: unknown;
  description?: string;
}

/** One variable as one service reads it. */
export interface VariableUse {
  name: string;
  service: string;
  type: string;
  required: boolean;
  default: string | undefined;
  description: string;
}

export function typeOf(p: JsonProp): string {
  if (p.enum) return `one of ${p.enum.map((v) => `\`${String(v)}\``).join(', ')}`;
  if (p.type === 'integer' || p.type === 'number') {
    const range = p.minimum !== undefined && p.maximum !== undefined ? ` ${p.minimum}–${p.maximum}` : p.minimum !== undefined ? ` ≥ ${p.minimum}` : '';
    return `${p.type}${range}`;
  }
  if (p.type === 'string') {
    if (p.format === 'uri') return 'URL';
    if (p.format === 'uuid') return 'UUID';
    if (p.pattern) return `string matching \`${p.pattern}\``;
  }
  return p.type ?? 'string';
}

/**
 * A default computed at start-up from the machine (a host name, a process id) is shown as what
 * it is made of, not as this machine's value: the reference must not change with the machine.
 */
export function shownDefault(value: unknown, machine: { host: string; pid: number } = { host: hostname(), pid: process.pid }): string | undefined {
  if (value === undefined) return undefined;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.split(machine.host).join('<hostname>').split(String(machine.pid)).join('<pid>');
}

/** The variables of one schema, read through its JSON Schema (the input side: before transforms and refinements). */
export function variablesOf(service: string, schema: z.ZodTypeAny): VariableUse[] {
  const json = zodToJsonSchema(schema, { effectStrategy: 'input', $refStrategy: 'none' }) as { properties?: Record<string, JsonProp>; required?: string[] };
  const required = new Set(json.required ?? []);
  return Object.entries(json.properties ?? {}).map(([name, p]) => ({
    name,
    service,
    type: typeOf(p),
    required: required.has(name) && p.default === undefined,
    default: shownDefault(p.default),
    description: p.description ?? '',
  }));
}

function readers(services: string[]): string {
  if (services.length === SERVICE_ENVS.length) return 'every service';
  if (SUBGRAPHS.every((s) => services.includes(s)) && services.length === SUBGRAPHS.length) return 'subgraphs';
  return services.join(', ');
}

interface Row {
  name: string;
  readBy: string;
  type: string;
  default: string;
  description: string;
}

/**
 * Rows of the reference: one per variable and meaning; services that read a variable alike share
 * a row, and a default that differs by service (PORT) is listed per service.
 */
export function rows(uses: VariableUse[]): Row[] {
  const groups = new Map<string, VariableUse[]>();
  for (const u of uses) {
    const key = JSON.stringify([u.name, u.type, u.required, u.description]);
    groups.set(key, [...(groups.get(key) ?? []), u]);
  }
  const out = [...groups.values()].map((g): Row => {
    const defaults = new Set(g.map((u) => u.default));
    const one = (d: string | undefined) => (d === undefined ? (g[0].required ? '**required**' : 'unset') : d === '' ? '(empty)' : `\`${d}\``);
    return {
      name: g[0].name,
      readBy: readers(g.map((u) => u.service)),
      type: g[0].type,
      default: defaults.size === 1 ? one(g[0].default) : g.map((u) => `${u.service}: ${one(u.default)}`).join('; '),
      description: g[0].description,
    };
  });
  return out.sort((a, b) => a.name.localeCompare(b.name) || a.readBy.localeCompare(b.readBy));
}

export function renderConfigurationReference(envs: readonly ServiceEnv[] = SERVICE_ENVS): string {
  const table = rows(envs.flatMap((e) => variablesOf(e.service, e.schema)));
  const lines = [
    '# Configuration reference',
    '',
    GENERATED_NOTE,
    '',
    'Every service parses its environment once, at start, against a zod schema (the common variables',
    '`packages/platform/src/env.ts`, `subgraphEnv` in `packages/platform/src/service-main.ts`, each',
    "subgraph's `src/env.ts` or `src/config.ts`, `router/src/env.ts`, `protocol-bridge/src/env.ts`); a",
    'misconfigured one exits 1 with every problem in one message, before it connects to anything. Each',
    "description below is the schema field's own (`.describe()`).",
    '',
    '| variable | read by | type | default | description |',
    '| --- | --- | --- | --- | --- |',
    ...table.map((r) => `| \`${r.name}\` | ${r.readBy} | ${mdCell(r.type)} | ${mdCell(r.default)} | ${mdCell(r.description)} |`),
    '',
    '## Read outside the service schemas',
    '',
    'Patterns, standard variables of libraries, and the variables of the development tools',
    '(`ops/dev/src/docs/other-env.ts`).',
    '',
    '| variable | read by | default | description |',
    '| --- | --- | --- | --- |',
    ...OTHER_VARIABLES.map((v) => `| \`${v.name}\` | ${mdCell(v.readBy)} | ${mdCell(v.default ?? 'unset')} | ${mdCell(v.description)} |`),
    '',
  ];
  return lines.join('\n');
}
