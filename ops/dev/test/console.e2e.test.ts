import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { dropDatabase } from '@evcs/platform';
import { PG_SUPERUSER_URL, REPO_ROOT, uniqueName } from '@evcs/testkit';
import { SimulatedChargePoint } from '@evcs/protocol-bridge/dist/src/simulator';
import { registerFleet } from '@evcs/protocol-bridge/dist/src/simulator/register';
import { ConsoleServer, startConsoleServer } from '../src/console-server';
import { demoOperator, demoPlatform } from '../src/demo';
import { Stack, startStack } from '../src/stack';
import { CHROMIUM, SCREENSHOTS, seriousViolations } from './support/browser';

/**
 * The operator console in a real browser (Debian's chromium, driven by playwright-core) against
 * the whole platform: served with /graphql proxied to the router, signed in with the demo
 * operator's admin, the dashboard's counts and the stations list from the real API.
 */
describe('operator console in a browser', () => {
  const database = uniqueName('evcs_console');
  const passwords = { platformAdmin: 'platform password 1', operatorAdmin: 'operator password 1', stationManager: 'viewer password 1' };
  const demo = demoOperator(passwords);
  // one more user, without any role: no permission, so no screen in the menu
  const operator = { ...demo, users: [...(demo.users ?? []), { username: 'nobody', password: 'nobody password 1', roles: [] }] };
  let stack: Stack;
  let server: ConsoleServer;
  let browser: Browser;
  let page: Page;
  const chargePoints: SimulatedChargePoint[] = [];
  let signedIn: { accessToken: string; refreshToken: string };

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) execFileSync('bash', [path.join(REPO_ROOT, 'ops/chromium/install.sh')], { stdio: 'inherit', timeout: 900_000 });
    mkdirSync(SCREENSHOTS, { recursive: true });
    stack = await startStack({ database, kafkaNamespace: uniqueName('console'), ports: 'ephemeral', quiet: true });
    await stack.seedTenant(demoPlatform(passwords));
    await stack.seedTenant(operator);
    server = await startConsoleServer({ routerUrl: stack.routerUrls[0], port: 0 });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--disable-dev-shm-usage'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    // the page's clock runs as usual until a test moves it on (token rotation)
    await page.clock.install();
  }, 600_000);

  afterAll(async () => {
    await Promise.all(chargePoints.map(async (cp) => cp.close().catch(() => undefined)));
    await browser?.close();
    await server?.stop();
    await stack?.stop();
    await dropDatabase(PG_SUPERUSER_URL, database);
  });

  test('signed out, the console opens on the sign-in screen (zh-CN)', async () => {
    await page.goto(server.url);
    await page.waitForURL(/\/sign-in/);
    await page.getByRole('heading', { name: '登录' }).waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'sign-in.png') });
    expect(await seriousViolations(page)).toEqual([]);
    // a button under the pointer keeps its white text readable (its hover fill, light-3, at 4.5:1 or better)
    await page.hover('[data-test=sign-in]');
    await page.waitForTimeout(300);
    expect(await seriousViolations(page)).toEqual([]);
    await page.mouse.move(0, 0);
  });

  test('a wrong password is refused with the API error code', async () => {
    await page.fill('#tenantCode', operator.code);
    await page.fill('#username', 'admin');
    await page.fill('#password', 'not the password');
    await page.click('[data-test=sign-in]');
    await page.locator('[data-test=sign-in-error]').waitFor();
    expect(await page.locator('[data-test=sign-in-error]').textContent()).toMatch(/[A-Z_]{4,}/);
  });

  test('the operator admin signs in and sees the dashboard with the fleet counts', async () => {
    await page.fill('#password', passwords.operatorAdmin);
    const login = page.waitForResponse(async (r) => r.url().endsWith('/graphql') && (r.request().postData() ?? '').includes('mutation Login'));
    await page.click('[data-test=sign-in]');
    signedIn = ((await (await login).json()) as { data: { login: { accessToken: string; refreshToken: string } } }).data.login;
    const { accessToken, refreshToken } = signedIn;
    await page.waitForURL(/\/dashboard$/);
    // four demo chargers, none connected in this test: none online, charging or faulted
    await page.waitForFunction(() => /共 4 台/.test(document.querySelector('[data-test=count-online]')?.textContent ?? ''));
    for (const c of ['online', 'charging', 'faulted']) expect(await page.locator(`[data-test=count-${c}] .value`).textContent()).toBe('0');
    expect(await page.locator('[data-test=menu] > li.el-menu-item').allTextContents()).toEqual([
      '总览',
      '充电站',
      '充电桩',
      '充电订单',
      '电价方案',
      '支付与退款',
      '退款记录',
      '每日对账',
      '渠道对账单',
    ]);
    // the tokens stay in memory: not in the browser's storage, nor in a cookie
    const stored = await page.evaluate(() => JSON.stringify([{ ...localStorage }, { ...sessionStorage }, document.cookie]));
    for (const token of [accessToken, refreshToken]) expect(stored).not.toContain(token);
    expect(await page.context().cookies()).toEqual([]);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'dashboard.png') });
    expect(await seriousViolations(page)).toEqual([]);
  });

  test('the dashboard follows the chargers live (connectorStatusChanged over the proxied WebSocket)', async () => {
    const { accessToken } = await stack.login(operator.code, 'admin', passwords.operatorAdmin);
    const codes = ['DEMO-CP-0001', 'DEMO-CP-0002'];
    const fleet = await registerFleet({
      routerUrl: stack.routerUrls[0],
      token: accessToken,
      stationCode: operator.stations[0].code,
      ocpp: codes,
      ykc: [],
      connectors: 2,
    });
    for (const id of codes) {
      const cp = new SimulatedChargePoint({ url: stack.bridgeUrl, id, password: fleet.passwords.get(id) });
      chargePoints.push(cp);
      await cp.connect();
      await cp.boot();
    }
    await chargePoints[0].status(1, 'Charging');
    await chargePoints[1].status(2, 'Faulted', { errorCode: 'GroundFailure' });
    // no reload, no polling: the counts move with the subscription
    const counts = () =>
      page.evaluate(() => ['online', 'charging', 'faulted'].map((c) => document.querySelector(`[data-test=count-${c}] .value`)?.textContent));
    await page.waitForFunction(
      () => ['online', 'charging', 'faulted'].map((c) => document.querySelector(`[data-test=count-${c}] .value`)?.textContent).join() === '2,1,1',
      undefined,
      { timeout: 60_000 },
    );
    expect(await counts()).toEqual(['2', '1', '1']);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'dashboard-live.png') });
  });

  test('the stations list shows the demo station (with a token rotated silently), in English on request', async () => {
    // 14 min 10 s on in the page: its 15-minute access token is refreshed before it expires, no sign-in asked
    const refreshed = page.waitForResponse(async (r) => r.url().endsWith('/graphql') && (r.request().postData() ?? '').includes('mutation RefreshToken'));
    await page.clock.fastForward('14:10');
    const next = ((await (await refreshed).json()) as { data: { refreshToken: { accessToken: string; refreshToken: string } } }).data.refreshToken;
    expect(next.accessToken).toEqual(expect.any(String));
    expect(next.refreshToken).not.toBe(signedIn.refreshToken);
    const stations = page.waitForRequest((r) => r.url().endsWith('/graphql') && (r.postData() ?? '').includes('query StationList'));
    await page.click('[data-test=menu-stations]');
    expect((await (await stations).allHeaders()).authorization).toBe(`Bearer ${next.accessToken}`);
    await page.waitForURL(/\/stations$/);
    await page.getByText('Pudong Riverside Hub').waitFor();
    expect(await page.locator('[data-test=stations]').textContent()).toContain('SH-PUDONG-01');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'stations.png') });
    expect(await seriousViolations(page)).toEqual([]);
    await page.click('[data-test=language]');
    await page.getByRole('heading', { name: 'Stations' }).waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'stations-en.png') });
  });

  test('signing out forgets the session; a user without permissions gets an empty menu', async () => {
    await page.click('[data-test=sign-out]');
    await page.waitForURL(/\/sign-in/);
    // the session was in memory only: back to a protected screen, the sign-in again
    await page.goto(new URL('/stations', server.url).href);
    await page.waitForURL(/\/sign-in\?next=/);
    await page.fill('#tenantCode', operator.code);
    await page.fill('#username', 'nobody');
    await page.fill('#password', 'nobody password 1');
    await page.click('[data-test=sign-in]');
    await page.waitForURL(/\/forbidden$/);
    expect(await page.locator('[data-test=menu] li').count()).toBe(0);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'forbidden.png') });
    expect(await seriousViolations(page)).toEqual([]);
  });

  test("the demo's station manager (station) sees the demo station alone; its viewer reads and changes nothing", async () => {
    const gql = async (token: string, query: string, variables: Record<string, unknown> = {}) => {
      const res = await fetch(stack.routerUrls[0], {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
      });
      return (await res.json()) as { data?: any; errors?: { extensions?: { code?: string } }[] };
    };
    const admin = await stack.login(operator.code, 'admin', passwords.operatorAdmin);
    const other = await gql(admin.accessToken, 'mutation($i: CreateStationInput!) { createStation(input: $i) { station { id } userErrors { code } } }', {
      i: { code: 'SH-OTHER-02', name: 'Another station' },
    });
    expect(other.data.createStation.userErrors).toEqual([]);
    const codes = async (token: string) =>
      (await gql(token, '{ stations(first: 10) { edges { node { code } } } }')).data.stations.edges.map((e: any) => e.node.code);
    expect((await codes(admin.accessToken)).sort()).toEqual(['SH-OTHER-02', 'SH-PUDONG-01']);

    const manager = await stack.login(operator.code, 'station', passwords.stationManager);
    expect((await gql(manager.accessToken, '{ me { roles } }')).data.me.roles).toEqual(['STATION_MANAGER']);
    expect(await codes(manager.accessToken)).toEqual(['SH-PUDONG-01']);

    const viewer = await stack.login(operator.code, 'viewer', passwords.stationManager);
    expect((await codes(viewer.accessToken)).sort()).toEqual(['SH-OTHER-02', 'SH-PUDONG-01']);
    const refused = await gql(viewer.accessToken, 'mutation($i: CreateStationInput!) { createStation(input: $i) { station { id } } }', {
      i: { code: 'SH-VIEWER-03', name: 'Not allowed' },
    });
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
