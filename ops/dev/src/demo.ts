import type { DemoTenant } from './stack';

/** Demo data for `npm start`: one operator, one station, three DC chargers with two connectors each. */
export const DEMO_TENANT: DemoTenant = {
  id: 'de300000-0000-4000-8000-000000000001',
  code: 'demo-operator',
  name: 'Demo Charging Co.',
  stations: [
    {
      code: 'SH-PUDONG-01',
      name: 'Pudong Riverside Hub',
      chargers: [1, 2, 3].map((n) => ({ code: `DEMO-CP-${String(n).padStart(4, '0')}`, connectors: 2, currentType: 'DC' as const, ratedPowerKw: 120 })),
    },
  ],
};
