import { randomUUID } from 'node:crypto';
import type { DemoTenant, Stack } from '../stack';
import type { ExampleTarget } from './api-examples';

const PASSWORD = `examples-${randomUUID()}`;

/** The operator the examples act for: its own database each run, so fixed names are safe. */
export const EXAMPLE_TENANT: DemoTenant = {
  id: randomUUID(),
  code: 'acme-charging',
  name: 'ACME Charging',
  users: [{ username: 'olga', password: PASSWORD, roles: ['OPERATOR_ADMIN'] }],
  stations: [{ code: 'ST-HQ', name: 'ACME HQ car park', chargers: [] }],
};

export const exampleTarget = (stack: Stack): ExampleTarget => ({
  routerUrl: stack.routerUrls[0],
  bridgeUrl: stack.bridgeUrl,
  alipaySandboxUrl: stack.paySandboxes.alipayUrl,
  tenantCode: EXAMPLE_TENANT.code,
  username: 'olga',
  password: PASSWORD,
  stationCode: 'ST-HQ',
  chargerCode: 'CP-0001',
});
