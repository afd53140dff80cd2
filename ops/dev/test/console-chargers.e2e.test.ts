import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { dropDatabase } from '@evcs/platform';
import { eventually, PG_SUPERUSER_URL, REPO_ROOT, uniqueName } from '@evcs/testkit';
import { SimulatedChargePoint } from '@evcs/protocol-bridge/dist/src/simulator';
import { registerFleet } from '@evcs/protocol-bridge/dist/src/simulator/register';
import { ConsoleServer, startConsoleServer } from '../src/console-server';
import { demoOperator, demoPlatform } from '../src/demo';
import { Stack, startStack } from '../src/stack';
import { CHROMIUM, SCREENSHOTS, seriousViolations } from './support/browser';

/**
 * The console's chargers screens in a real browser against the whole platform: the live status
 * board (connectorStatusChanged moving a tile as a simulated charger reports), and a charger's
 * page sending a command through the bridge to the simulated charger and following its
 * lifecycle (chargerCommandUpdated) to ACCEPTED.
 */
describe('operator console: chargers', () => {
  const database = uniqueName('evcs_console_cp');
  const passwords = { platformAdmin: 'platform password 1', operatorAdmin: 'operator password 1', stationManager: 'viewer password 1' };
  const operator = demoOperator(passwords);
  const CODE = 'DEMO-CP-0001';
  let stack: Stack;
  let server: ConsoleServer;
  let browser: Browser;
  let page: Page;
  let cp: SimulatedChargePoint | undefined;
  const frames: string[] = [];
  /** and what the console sent over it (subscribe / complete) */
  const sent: string[] = [];
  const tile = (no: number) => page.locator(`[data-test=tile-${CODE}-${no}]`);

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) execFileSync('bash', [path.join(REPO_ROOT, 'ops/chromium/install.sh')], { stdio: 'inherit', timeout: 900_000 });
    mkdirSync(SCREENSHOTS, { recursive: true });
    stack = await startStack({ database, kafkaNamespace: uniqueName('console_cp'), ports: 'ephemeral', quiet: true });
    await stack.seedTenant(demoPlatform(passwords));
    await stack.seedTenant(operator);
    server = await startConsoleServer({ routerUrl: stack.routerUrls[0], port: 0 });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--disable-dev-shm-usage'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // what the router pushed over the console's graphql-ws connection
    page.on('websocket', (ws) => {
      ws.on('framereceived', (f) => frames.push(String(f.payload)));
      ws.on('framesent', (f) => sent.push(String(f.payload)));
    });
    const { accessToken } = await stack.login(operator.code, 'admin', passwords.operatorAdmin);
    const fleet = await registerFleet({
      routerUrl: stack.routerUrls[0],
      token: accessToken,
      stationCode: operator.stations[0].code,
      ocpp: [CODE],
      ykc: [],
      connectors: 2,
    });
    cp = new SimulatedChargePoint({ url: stack.bridgeUrl, id: CODE, password: fleet.passwords.get(CODE) });
    await cp.connect();
    await cp.boot();
    await cp.status(1, 'Available');
    await cp.status(2, 'Available');
  }, 600_000);

  afterAll(async () => {
    await cp?.close().catch(() => undefined);
    await browser?.close();
    await server?.stop();
    await stack?.stop();
    await dropDatabase(PG_SUPERUSER_URL, database);
  });

  test('the board shows a tile per connector, and a tile changes colour live as its charger reports', async () => {
    await page.goto(server.url);
    await page.waitForURL(/\/sign-in/);
    await page.fill('#tenantCode', operator.code);
    await page.fill('#username', 'admin');
    await page.fill('#password', passwords.operatorAdmin);
    await page.click('[data-test=sign-in]');
    await page.waitForURL(/\/dashboard$/);
    await page.click('[data-test=menu-chargers]');
    await page.waitForURL(/\/chargers$/);
    // the demo station's four chargers, two connectors each
    await page.locator('[data-test^=charger-]').nth(3).waitFor();
    expect(await page.locator('[data-test^=tile-]').count()).toBe(8);
    await page.waitForFunction((sel) => document.querySelector(sel)?.getAttribute('data-status') === 'Available', `[data-test=tile-${CODE}-1]`, {
      timeout: 30_000,
    });
    expect(await tile(1).getAttribute('class')).toContain('status--available');
    const before = await tile(1).evaluate((e) => getComputedStyle(e).backgroundColor);

    // no reload, no polling: the subscription moves the tile
    await cp!.status(1, 'Faulted', { errorCode: 'GroundFailure' });
    await page.waitForFunction((sel) => document.querySelector(sel)?.getAttribute('data-status') === 'Faulted', `[data-test=tile-${CODE}-1]`, {
      timeout: 60_000,
    });
    expect(await tile(1).getAttribute('class')).toContain('status--faulted');
    expect(await tile(1).textContent()).toContain('GroundFailure');
    expect(await tile(1).evaluate((e) => getComputedStyle(e).backgroundColor)).not.toBe(before);
    expect(await tile(2).getAttribute('data-status')).toBe('Available');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'chargers-board.png'), fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);

    // the station filter: the demo station's chargers, the same tiles
    await page.click('[data-test=station-filter]');
    await page.getByRole('option', { name: new RegExp(operator.stations[0].code) }).click();
    await page.waitForFunction(() => document.querySelectorAll('[data-test^=tile-]').length === 8);
  });

  test("a charger's page sends a soft reset and shows its result ACCEPTED, pushed by chargerCommandUpdated", async () => {
    const sentBefore = sent.length;
    await page.click(`[data-test=open-${CODE}]`);
    await page.waitForURL(/\/chargers\/[0-9a-f-]{36}$/);
    await page.getByRole('heading', { name: new RegExp(CODE) }).waitFor();
    expect(await page.locator('[data-test=status-1]').getAttribute('data-status')).toBe('Faulted');
    expect(await page.locator('[data-test=no-configuration]').isVisible()).toBe(true);
    await page.click('[data-test=reset-soft]');
    await page.locator('[data-test=last-command]').waitFor();
    expect(await page.locator('[data-test=last-command]').textContent()).toContain('RESET');
    await page.waitForFunction(() => document.querySelector('[data-test=last-command-status]')?.textContent === 'ACCEPTED', undefined, { timeout: 60_000 });
    expect(frames.some((f) => f.includes('chargerCommandUpdated') && f.includes('"ACCEPTED"'))).toBe(true);
    const rows = await page.locator('[data-test=commands] tbody tr').allTextContents();
    expect(rows[0]).toMatch(/RESET.*"kind":"Soft".*ACCEPTED/);

    // the connectors follow the charger here too
    await cp!.status(1, 'Available');
    await page.waitForFunction(() => document.querySelector('[data-test=status-1]')?.getAttribute('data-status') === 'Available', undefined, {
      timeout: 60_000,
    });
    // the page reloaded its snapshot on each command result, and kept its status subscription
    // open throughout (ending and restarting it loses the pushes between the two)
    const onPage = sent.slice(sentBefore).map((f) => JSON.parse(f) as { id?: string; type: string; payload?: { query?: string } });
    const statusIds = onPage.filter((m) => m.type === 'subscribe' && m.payload?.query?.includes('connectorStatusChanged')).map((m) => m.id);
    expect(statusIds).toHaveLength(1);
    expect(onPage.filter((m) => m.type === 'complete' && statusIds.includes(m.id))).toEqual([]);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'charger-reset.png'), fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);
  });

  test('get configuration brings the configuration snapshot, unlock and availability their results; in English on request', async () => {
    await page.click('[data-test=get-configuration]');
    await page.locator('[data-test=configuration]').waitFor({ timeout: 60_000 });
    expect(await page.locator('[data-test=last-command-status]').textContent()).toBe('ACCEPTED');
    expect(await page.locator('[data-test=configuration] tbody tr').count()).toBeGreaterThan(0);
    // the connector commands, each to its result (RESET and GET_CONFIGURATION accepted before them)
    const accepted = () => page.locator('[data-test^=command-status-]', { hasText: 'ACCEPTED' }).count();
    expect(await accepted()).toBe(2);
    for (const [i, button] of ['unlock-1', 'inoperative-1', 'operative-1'].entries()) {
      await page.click(`[data-test=${button}]`);
      await page.waitForFunction(
        (n) => [...document.querySelectorAll('[data-test^=command-status-]')].filter((e) => e.textContent === 'ACCEPTED').length === n,
        3 + i,
        { timeout: 60_000 },
      );
    }
    expect((await page.locator('[data-test=commands] tbody tr').allTextContents()).slice(0, 3)).toEqual([
      expect.stringMatching(/^CHANGE_AVAILABILITY.*"availability":"Operative".*ACCEPTED/),
      expect.stringMatching(/^CHANGE_AVAILABILITY.*"availability":"Inoperative".*ACCEPTED/),
      expect.stringMatching(/^UNLOCK_CONNECTOR.*ACCEPTED/),
    ]);
    expect(cp!.commandsReceived.filter((c) => c.action === 'ChangeAvailability').map((c) => c.params.type)).toEqual(['Inoperative', 'Operative']);
    await page.click('[data-test=language]');
    await page.getByRole('heading', { name: `Charger ${CODE}` }).waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'charger-configuration-en.png'), fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);
  });

  test('the operator starts and stops a session on a connector from the console (startCharging, stopCharging: order:write)', async () => {
    await page.click('[data-test=start-2]');
    await page.locator('[data-test=notice]').waitFor();
    expect(await page.locator('[data-test=notice]').textContent()).toMatch(/PENDING/);
    const remoteStart = await eventually(async () => cp!.commandsReceived.find((c) => c.action === 'RemoteStartTransaction'), {
      timeoutMs: 30_000,
      what: 'RemoteStartTransaction at the charger',
    });
    expect(remoteStart.params.connectorId).toBe(2);
    const { transactionId } = await cp!.startTransaction(2, String(remoteStart.params.idTag), 1000);
    await cp!.status(2, 'Charging');
    await page.waitForFunction(() => document.querySelector('[data-test=order-state-2]')?.textContent === 'CHARGING', undefined, { timeout: 60_000 });
    expect(await page.locator('[data-test=status-2]').getAttribute('data-status')).toBe('Charging');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'charger-session.png'), fullPage: true });

    await page.click('[data-test=stop-2]');
    await page.waitForFunction(() => /FINISHING/.test(document.querySelector('[data-test=notice]')?.textContent ?? ''), undefined, { timeout: 30_000 });
    await eventually(async () => cp!.commandsReceived.find((c) => c.action === 'RemoteStopTransaction'), {
      timeoutMs: 30_000,
      what: 'RemoteStopTransaction at the charger',
    });
    await cp!.stopTransaction(transactionId, 5000, { reason: 'Remote' });
    await cp!.status(2, 'Available');
    await page.locator('[data-test=start-2]').waitFor({ timeout: 60_000 });
  });

  test('without charger:command nor order:write (a viewer) the page shows no command or session buttons', async () => {
    const url = page.url();
    await page.click('[data-test=sign-out]');
    await page.waitForURL(/\/sign-in/);
    await page.goto(url);
    await page.waitForURL(/\/sign-in\?next=/);
    await page.fill('#tenantCode', operator.code);
    await page.fill('#username', 'viewer');
    await page.fill('#password', passwords.stationManager);
    await page.click('[data-test=sign-in]');
    await page.waitForURL(url);
    await page.getByRole('heading', { name: new RegExp(CODE) }).waitFor();
    await page.locator('[data-test=status-1]').waitFor();
    for (const sel of ['commands-actions', 'reset-soft', 'unlock-1', 'start-1', 'commands', 'configuration']) {
      expect(await page.locator(`[data-test=${sel}]`).count()).toBe(0);
    }
    expect(await seriousViolations(page)).toEqual([]);
  });
});
