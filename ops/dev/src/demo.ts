import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RunSimulatorsOptions } from '@evcs/protocol-bridge/dist/src/simulator';
import type { DemoTenant } from './stack';

export const DEMO_PLATFORM_ID = 'de300000-0000-4000-8000-000000000000';

/** A 云快充 pile of the demo operator: ykcPileNo('3201', 1) in the simulator's numbering. */
export const DEMO_YKC_PILE = '32010000000001';

/** The demo's passwords by who uses them; `viewer` absent: the viewer shares the station manager's (tests). */
export interface DemoPasswords {
  platformAdmin: string;
  operatorAdmin: string;
  stationManager: string;
  viewer?: string;
}

/**
 * Demo passwords: random per machine, kept in .cache (never in the repo), so a
 * demo database left reachable isn't guarded by a password everyone knows. A file from before a
 * key existed gets that key added; the others are kept.
 */
export function demoPasswords(cacheDir: string): Required<DemoPasswords> {
  const file = path.join(cacheDir, 'demo-credentials.json');
  const kept: Partial<DemoPasswords> = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const pw = () => randomBytes(12).toString('base64url');
  const creds = { platformAdmin: pw(), operatorAdmin: pw(), stationManager: pw(), viewer: pw(), ...kept };
  if (Object.keys(creds).some((k) => !(k in kept))) {
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(file, JSON.stringify(creds, null, 2), { mode: 0o600 });
  }
  return creds;
}

/** The platform tenant at the top of the hierarchy, with its administrator. */
export function demoPlatform(passwords: DemoPasswords): DemoTenant {
  return {
    id: DEMO_PLATFORM_ID,
    code: 'platform',
    name: 'EVCS Platform',
    type: 'PLATFORM',
    users: [{ username: 'root', password: passwords.platformAdmin, displayName: 'Platform administrator', roles: ['PLATFORM_ADMIN'] }],
    // The demo database outlives .cache: the passwords file is what counts.
    resetPasswords: true,
    stations: [],
  };
}

/**
 * Demo data for `npm start`: one operator below the platform, one station, three OCPP DC chargers
 * and one YKC pile, two connectors each; its administrator, a station manager of that station
 * (`station`: sees and runs it alone) and a read-only viewer.
 */
export function demoOperator(passwords: DemoPasswords): DemoTenant {
  return {
    id: 'de300000-0000-4000-8000-000000000001',
    code: 'demo-operator',
    name: 'Demo Charging Co.',
    type: 'OPERATOR',
    parentId: DEMO_PLATFORM_ID,
    users: [
      { username: 'admin', password: passwords.operatorAdmin, displayName: 'Operator administrator', roles: ['OPERATOR_ADMIN'] },
      { username: 'station', password: passwords.stationManager, displayName: 'Station manager', roles: ['STATION_MANAGER'], stationCodes: ['SH-PUDONG-01'] },
      { username: 'viewer', password: passwords.viewer ?? passwords.stationManager, displayName: 'Read-only', roles: ['VIEWER'] },
    ],
    resetPasswords: true,
    stations: [
      {
        code: 'SH-PUDONG-01',
        name: 'Pudong Riverside Hub',
        chargers: [
          ...[1, 2, 3].map((n) => ({ code: `DEMO-CP-${String(n).padStart(4, '0')}`, connectors: 2, currentType: 'DC' as const, ratedPowerKw: 120 })),
          // its code is its 14-digit pile number; `npm start` simulates it over TCP
          { code: DEMO_YKC_PILE, connectors: 2, currentType: 'DC' as const, ratedPowerKw: 60, protocol: 'YKC' as const },
        ],
      },
    ],
  };
}

/**
 * The simulated chargers of `npm start`: the demo tenant's OCPP chargers (DEMO-CP-0001…, as the
 * simulator names them) and its YKC pile, which logs in, takes the platform's billing model and
 * runs its own sessions (card starts), each ending in a transaction record.
 */
export function demoSimulators(
  stack: { bridgeUrl: string; ykcAddress: { host: string; port: number } },
  tenant: DemoTenant,
  opts: { intervalMs?: number; meterValuesPerSession?: number } = {},
): RunSimulatorsOptions {
  const ocppIds = tenant.stations.flatMap((s) => s.chargers.map((c) => c.code)).filter((id) => id !== DEMO_YKC_PILE);
  return {
    url: stack.bridgeUrl,
    count: ocppIds.length,
    prefix: 'DEMO-CP-',
    connectors: 2,
    intervalMs: opts.intervalMs ?? 5000,
    meterValuesPerSession: opts.meterValuesPerSession,
    ykc: { ...stack.ykcAddress, count: 1, pilePrefix: '3201' },
  };
}
