import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { dayWindow, dropDatabase, localDate } from '@evcs/platform';
import { eventually, PG_SUPERUSER_URL, REPO_ROOT, uniqueName } from '@evcs/testkit';
import { SimulatedChargePoint } from '@evcs/protocol-bridge/dist/src/simulator';
import { registerFleet } from '@evcs/protocol-bridge/dist/src/simulator/register';
import { ConsoleServer, startConsoleServer } from '../src/console-server';
import { demoOperator, demoPlatform } from '../src/demo';
import { Stack, startStack } from '../src/stack';
import { CHROMIUM, SCREENSHOTS, seriousViolations } from './support/browser';

/** the demo stations' zone, the dashboard's "today" (console/src/statistics.ts BUSINESS_TIMEZONE) */
const ZONE = 'Asia/Shanghai';

/** Integer minor units (fen) as the API formats CNY, by integer arithmetic. */
const yuan = (fen: number) => `${Math.trunc(fen / 100)}.${String(fen % 100).padStart(2, '0')} CNY`;

/**
 * The console's stations screens and the dashboard's figures of the day in a real browser
 * against the whole platform: three stations with coordinates on the offline map, charging
 * sessions run by simulated chargers (started with a card, stopped, priced by the demo tariff),
 * a station's page with its aggregates from the API — and a station manager assigned to one
 * station seeing only it, in the list, on the map and in the dashboard's counts, while the
 * operator administrator sees all.
 */
describe('operator console: stations, map and the figures of the day', () => {
  const database = uniqueName('evcs_console_st');
  const passwords = { platformAdmin: 'platform password 1', operatorAdmin: 'operator password 1', stationManager: 'manager password 1' };
  const operator = demoOperator(passwords);
  const A = operator.stations[0].code; // SH-PUDONG-01, seeded with four chargers
  const B = 'SH-XUHUI-02';
  const C = 'SH-JINGAN-03';
  const ids: Record<string, string> = {};
  let stack: Stack;
  let server: ConsoleServer;
  let browser: Browser;
  let page: Page;
  let token: string;
  const chargePoints: SimulatedChargePoint[] = [];
  /** what the priced sessions billed, per station, in fen (read back from the API's orders) */
  const billed: Record<string, number> = {};

  async function gql(query: string, variables: Record<string, unknown> = {}) {
    const res = await fetch(stack.routerUrls[0], {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as any;
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  }

  /**
   * A card session on a simulated charger, today in the stations' zone (started at most five
   * minutes ago, never before local midnight), stopped now: energy = meterStop − 1000 Wh.
   */
  async function session(cp: SimulatedChargePoint, connectorNo: number, meterStop: number): Promise<void> {
    const now = Date.now();
    const midnight = dayWindow(localDate(new Date(now), ZONE), ZONE).from.getTime();
    const t0 = new Date(Math.max(now - 5 * 60_000, midnight + 1000));
    const { transactionId, idTagInfo } = await cp.startTransaction(connectorNo, 'SIM-TAG-1', 1000, t0);
    expect(idTagInfo.status).toBe('Accepted');
    await cp.meterValues(connectorNo, transactionId, Math.round((1000 + meterStop) / 2), new Date(t0.getTime() + 1000));
    await cp.stopTransaction(transactionId, meterStop, { timestamp: new Date(), reason: 'Local' });
  }

  async function signIn(username: string, password: string): Promise<void> {
    await page.goto(server.url);
    await page.waitForURL(/\/sign-in/);
    await page.fill('#tenantCode', operator.code);
    await page.fill('#username', username);
    await page.fill('#password', password);
    await page.click('[data-test=sign-in]');
    await page.waitForURL(/\/dashboard$/);
  }

  const text = async (sel: string) => ((await page.locator(sel).textContent()) ?? '').trim();
  const rowCodes = async () => (await page.locator('[data-test=stations] .el-table__body tr td:first-child').allTextContents()).map((s) => s.trim());
  /** until the list shows exactly these stations (a new answer replaces the rows shown before it) */
  const rowsBecome = (codes: string[]) =>
    page.waitForFunction(
      (want) =>
        JSON.stringify([...document.querySelectorAll('[data-test=stations] .el-table__body tr td:first-child')].map((td) => td.textContent?.trim())) ===
        JSON.stringify(want),
      codes,
    );
  const markers = async () => (await page.locator('[data-test^=marker-]').evaluateAll((els) => els.map((e) => e.getAttribute('data-test')))).sort();

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) execFileSync('bash', [path.join(REPO_ROOT, 'ops/chromium/install.sh')], { stdio: 'inherit', timeout: 900_000 });
    mkdirSync(SCREENSHOTS, { recursive: true });
    stack = await startStack({ database, kafkaNamespace: uniqueName('console_st'), ports: 'ephemeral', quiet: true });
    await stack.seedTenant(demoPlatform(passwords));
    await stack.seedTenant(operator);
    token = (await stack.login(operator.code, 'admin', passwords.operatorAdmin)).accessToken;

    // the seeded station gets a position; two more are created with theirs, as an operator would
    ids[A] = (await gql('{ stations(first: 10) { edges { node { id code } } } }')).stations.edges.find((e: any) => e.node.code === A).node.id;
    const upd = await gql('mutation($id: ID!, $i: UpdateStationInput!) { updateStation(id: $id, input: $i) { userErrors { code message } } }', {
      id: ids[A],
      i: { latitude: 31.2397, longitude: 121.4998, address: 'Pudong, Shanghai' },
    });
    expect(upd.updateStation.userErrors).toEqual([]);
    for (const s of [
      { code: B, name: 'Xuhui Riverside Park', latitude: 31.188, longitude: 121.4365, address: 'Xuhui, Shanghai' },
      { code: C, name: "Jing'an Temple Garage", latitude: 31.2286, longitude: 121.448, status: 'MAINTENANCE' },
    ]) {
      const r = await gql('mutation($i: CreateStationInput!) { createStation(input: $i) { station { id } userErrors { code message } } }', { i: s });
      expect(r.createStation.userErrors).toEqual([]);
      ids[s.code] = r.createStation.station.id;
    }

    // one simulated charger at A (of its four) and one new at B
    const fleets = [
      { station: A, code: 'DEMO-CP-0001' },
      { station: B, code: 'XUHUI-CP-01' },
    ];
    for (const f of fleets) {
      const fleet = await registerFleet({ routerUrl: stack.routerUrls[0], token, stationCode: f.station, ocpp: [f.code], ykc: [], connectors: 2 });
      const cp = new SimulatedChargePoint({ url: stack.bridgeUrl, id: f.code, password: fleet.passwords.get(f.code) });
      chargePoints.push(cp);
      await cp.connect();
      await cp.boot();
      await cp.status(1, 'Available');
      await cp.status(2, 'Available');
    }
    // today: two sessions at A (5 + 7 kWh), one at B (10 kWh)
    await session(chargePoints[0], 1, 6000);
    await session(chargePoints[0], 2, 8000);
    await session(chargePoints[1], 1, 11_000);
    const priced = await eventually(
      async () => {
        const r = await gql('{ orders(first: 10) { edges { node { state station { id } amount { minor currency } } } } }');
        const nodes = r.orders.edges.map((e: any) => e.node);
        return nodes.length === 3 && nodes.every((n: any) => n.amount) ? nodes : null;
      },
      { timeoutMs: 60_000, what: 'three priced sessions' },
    );
    for (const code of [A, B, C]) billed[code] = 0;
    for (const n of priced) {
      expect(n.amount.currency).toBe('CNY');
      billed[Object.keys(ids).find((c) => ids[c] === n.station.id)!] += n.amount.minor;
    }
    expect(billed[A]).toBeGreaterThan(0);

    // a station manager assigned to B only, created through the API
    const roles = (await gql('{ roles { id code } }')).roles as { id: string; code: string }[];
    const created = await gql('mutation($i: CreateUserInput!) { createUser(input: $i) { user { id } userErrors { code message } } }', {
      i: {
        username: 'manager',
        password: passwords.stationManager,
        displayName: 'Xuhui manager',
        roleIds: [roles.find((r) => r.code === 'STATION_MANAGER')!.id],
        stationIds: [ids[B]],
      },
    });
    expect(created.createUser.userErrors).toEqual([]);

    server = await startConsoleServer({ routerUrl: stack.routerUrls[0], port: 0 });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--disable-dev-shm-usage'] });
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  }, 600_000);

  afterAll(async () => {
    await Promise.all(chargePoints.map(async (cp) => cp.close().catch(() => undefined)));
    await browser?.close();
    await server?.stop();
    await stack?.stop();
    await dropDatabase(PG_SUPERUSER_URL, database);
  });

  test("the operator admin's dashboard: every charger's live counts, and today's sessions, energy and revenue with the hourly trend", async () => {
    await signIn('admin', passwords.operatorAdmin);
    await page.waitForFunction(() => document.querySelector('[data-test=count-online] .value')?.textContent?.trim() === '2', undefined, { timeout: 30_000 });
    // A's four chargers and B's one
    expect(await text('[data-test=count-online] .of')).toContain('5');
    await page.locator('[data-test=trend-chart]').waitFor();
    expect(await text('[data-test=today-sessions] .value')).toBe('3');
    expect(await text('[data-test=today-energy] .value')).toBe('22.000');
    expect(await text('[data-test=today-revenue] .value')).toBe(yuan(billed[A] + billed[B]));
    expect(await text('[data-test=today]')).toContain(ZONE);
    // the chart drew the API's buckets: three sessions over today's hours
    const perHour = (await page.locator('[data-test=trend-chart]').getAttribute('data-sessions'))!.split(',').map(Number);
    expect(perHour).toHaveLength(24);
    expect(perHour.reduce((a, b) => a + b, 0)).toBe(3);
    expect(await page.locator('[data-test=trend-chart] svg').count()).toBe(1);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'dashboard-today.png'), fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);
  });

  test('the stations list filters by status and text; the map shows a marker per station, offline', async () => {
    const external: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(server.url)) external.push(r.url());
    });
    await page.click('[data-test=menu-stations]');
    await page.waitForURL(/\/stations$/);
    await page.locator(`[data-test=open-${C}]`).waitFor();
    // in code order
    expect(await rowCodes()).toEqual([C, A, B]);
    expect(await text('[data-test=stations-total]')).toContain('3');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'stations-list.png'), fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);

    await page.click('[data-test=filter-status]');
    await page.locator('.el-select-dropdown__item:visible', { hasText: '维护中' }).click();
    await page.keyboard.press('Escape');
    await page.click('[data-test=apply]');
    await rowsBecome([C]);
    // the status chosen again is unchosen
    await page.click('[data-test=filter-status]');
    await page.locator('.el-select-dropdown__item:visible', { hasText: '维护中' }).click();
    await page.keyboard.press('Escape');
    await page.fill('input[data-test=filter-search], [data-test=filter-search] input', 'xuhui');
    await page.click('[data-test=apply]');
    await rowsBecome([B]);

    await page.fill('input[data-test=filter-search], [data-test=filter-search] input', '');
    await page.click('[data-test=apply]');
    await rowsBecome([C, A, B]);
    await page.click('[data-test=view-map]');
    await page.locator('[data-test=station-map] svg').waitFor();
    expect(await markers()).toEqual([`marker-${C}`, `marker-${A}`, `marker-${B}`].sort());
    // east of B and north of it, as the coordinates say
    const box = async (code: string) => (await page.locator(`[data-test=marker-${code}] circle`).boundingBox())!;
    const [a, b] = [await box(A), await box(B)];
    expect(a.x).toBeGreaterThan(b.x);
    expect(a.y).toBeLessThan(b.y);
    expect(external).toEqual([]);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'stations-map.png'), fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);
  });

  test("a marker opens its station's page: aggregates and today's figures from the API, and its chargers linking to theirs", async () => {
    await page.click(`[data-test=marker-${A}]`);
    await page.waitForURL(new RegExp(`/stations/${ids[A]}$`));
    await page.getByRole('heading', { name: 'Pudong Riverside Hub' }).waitFor();
    // DEMO-CP-0001 connected; the other three never did
    expect(await text('[data-test=agg-online] .value')).toBe('1 / 4');
    expect(await text('[data-test=agg-active] .value')).toBe('0');
    expect(await page.locator('[data-test=connectors-Available]').textContent()).toContain('Available 2');
    await page.locator('[data-test=trend-chart]').waitFor();
    expect(await text('[data-test=today-sessions] .value')).toBe('2');
    expect(await text('[data-test=today-energy] .value')).toBe('12.000');
    expect(await text('[data-test=today-revenue] .value')).toBe(yuan(billed[A]));
    expect(await page.locator('[data-test^=charger-]').count()).toBe(4);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'station-detail.png'), fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);

    await page.click('[data-test=charger-DEMO-CP-0001]');
    await page.waitForURL(/\/chargers\/[0-9a-f-]{36}$/);
    await page.getByRole('heading', { name: /DEMO-CP-0001/ }).waitFor();

    // and a row of the list opens its station too
    await page.click('[data-test=menu-stations]');
    await page.locator(`[data-test=stations] .el-table__body tr`, { hasText: B }).click();
    await page.waitForURL(new RegExp(`/stations/${ids[B]}$`));
    await page.getByRole('heading', { name: 'Xuhui Riverside Park' }).waitFor();
    expect(await text('[data-test=agg-online] .value')).toBe('1 / 1');
  });

  test('a station manager sees only the assigned station: in the list, on the map and in the dashboard; the admin saw all', async () => {
    await page.click('[data-test=sign-out]');
    await page.waitForURL(/\/sign-in/);
    await signIn('manager', passwords.stationManager);
    await page.waitForFunction(() => document.querySelector('[data-test=count-online] .value')?.textContent?.trim() === '1', undefined, { timeout: 30_000 });
    expect(await text('[data-test=count-online] .of')).toContain('1');
    await page.locator('[data-test=trend-chart]').waitFor();
    expect(await text('[data-test=today-sessions] .value')).toBe('1');
    expect(await text('[data-test=today-energy] .value')).toBe('10.000');
    expect(await text('[data-test=today-revenue] .value')).toBe(yuan(billed[B]));
    await page.screenshot({ path: path.join(SCREENSHOTS, 'dashboard-manager.png'), fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);

    await page.click('[data-test=menu-stations]');
    await page.locator(`[data-test=open-${B}]`).waitFor();
    expect(await rowCodes()).toEqual([B]);
    expect(await text('[data-test=stations-total]')).toContain('1');
    await page.click('[data-test=view-map]');
    await page.locator('[data-test=station-map] svg').waitFor();
    expect(await markers()).toEqual([`marker-${B}`]);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'stations-map-manager.png'), fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);
  });
});
