import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { dropDatabase } from '@evcs/platform';
import { PG_SUPERUSER_URL, REPO_ROOT, uniqueName } from '@evcs/testkit';
import { ConsoleServer, startConsoleServer } from '../src/console-server';
import { DEMO_YKC_PILE, demoOperator, demoPlatform } from '../src/demo';
import { Stack, startStack } from '../src/stack';
import { CHROMIUM, SCREENSHOTS, seriousViolations } from './support/browser';

interface Segment {
  start: string;
  end: string;
  energyPrice: string;
  serviceFee: string;
}
const seg = (start: string, end: string, energyPrice: string, serviceFee: string): Segment => ({ start, end, energyPrice, serviceFee });
const PLAN = [seg('00:00', '08:00', '0.6800', '0.3500'), seg('08:00', '18:00', '0.8500', '0.4000'), seg('18:00', '24:00', '0.7800', '0.3800')];
/** PLAN with 07:00–09:00 dragged across and priced at 1.5 + 0.5 */
const EDITED = [seg('00:00', '07:00', '0.6800', '0.3500'), seg('07:00', '09:00', '1.5000', '0.5000'), seg('09:00', '18:00', '0.8500', '0.4000'), PLAN[2]];

/**
 * The console's tariff screens in a real browser against the whole platform: the demo operator's
 * admin opens the station's plan, drags across the 24-hour bar to reprice 07:00–09:00, sees the
 * preview (priceSession with the draft) change to what the API prices the edited plan at, weighs
 * the draft against the last 30 days (tariffImpact), publishes it as version 2, and is warned
 * when a version a YKC pile cannot hold is saved and bound to one.
 */
describe('operator console: tariffs', () => {
  const database = uniqueName('evcs_console_tariffs');
  const passwords = { platformAdmin: 'platform password 1', operatorAdmin: 'operator password 1', stationManager: 'viewer password 1' };
  const operator = demoOperator(passwords);
  let stack: Stack;
  let server: ConsoleServer;
  let browser: Browser;
  let page: Page;
  let token: string;
  let stationId: string;
  let planId: string;
  let chargerId: string;
  let ykcPileId: string;

  async function gql(query: string, variables: Record<string, unknown> = {}) {
    const res = await fetch(stack.routerUrls[0], {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as any;
    expect(body.errors).toBeUndefined();
    return body.data;
  }

  /** What the API prices the preview's sample session at (07:00–09:00 Shanghai, 20 kWh) on `day`, with a draft or with the saved plan. */
  async function apiPrice(day: string, draftSegments?: Segment[]): Promise<string> {
    const startedAt = new Date(`${day}T07:00:00+08:00`);
    const input = { chargerId, stationId, startedAt, stoppedAt: new Date(startedAt.getTime() + 2 * 3600_000), energyWh: '20000', draftSegments };
    return (await gql('query($i: PriceSessionInput!) { priceSession(input: $i) { total { formatted } } }', { i: input })).priceSession.total.formatted;
  }
  const dayIn = (days: number) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date(Date.now() + days * 86_400_000));
  const today = () => dayIn(0);
  /** a day the saved versions price (the plan's version 1 took effect when it was created, today) */
  const later = () => dayIn(2);

  async function dragAcross(fromSlot: number, toSlot: number): Promise<void> {
    const a = await page.locator(`[data-slot="${fromSlot}"]`).boundingBox();
    const b = await page.locator(`[data-slot="${toSlot}"]`).boundingBox();
    if (!a || !b) throw new Error('the bar is not shown');
    await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
    await page.mouse.down();
    await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 12 });
    await page.mouse.up();
  }
  /** `minutes` from now on the browser's wall clock, as a datetime-local input takes it, and the instant it means */
  async function localTimeIn(minutes: number): Promise<{ value: string; instant: string }> {
    return page.evaluate((m) => {
      const d = new Date(Date.now() + m * 60_000);
      d.setSeconds(0, 0);
      const value = new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
      return { value, instant: d.toISOString() };
    }, minutes);
  }
  const previewTotal = async () => (await page.locator('[data-test=preview-total]').textContent())?.trim() ?? '';

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) execFileSync('bash', [path.join(REPO_ROOT, 'ops/chromium/install.sh')], { stdio: 'inherit', timeout: 900_000 });
    mkdirSync(SCREENSHOTS, { recursive: true });
    stack = await startStack({ database, kafkaNamespace: uniqueName('console_tariffs'), ports: 'ephemeral', quiet: true });
    await stack.seedTenant(demoPlatform(passwords));
    await stack.seedTenant(operator);
    token = (await stack.login(operator.code, 'admin', passwords.operatorAdmin)).accessToken;
    const station = (
      await gql('query($c: String!) { stations(first: 10, filter: { codePrefix: $c }) { edges { node { id chargers { id code protocol } } } } }', {
        c: operator.stations[0].code,
      })
    ).stations.edges[0].node;
    stationId = station.id;
    chargerId = station.chargers.find((c: { protocol: string }) => c.protocol === 'OCPP16').id;
    ykcPileId = station.chargers.find((c: { code: string }) => c.code === DEMO_YKC_PILE).id;
    // the station's own default plan (the demo tenant has only a tenant-level one)
    const created = await gql('mutation($i: CreateTariffPlanInput!) { createTariffPlan(input: $i) { plan { id } userErrors { code message } } }', {
      i: { stationId, name: 'Pudong time-of-use', isDefault: true, segments: PLAN },
    });
    expect(created.createTariffPlan.userErrors).toEqual([]);
    planId = created.createTariffPlan.plan.id;
    server = await startConsoleServer({ routerUrl: stack.routerUrls[0], port: 0 });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--disable-dev-shm-usage'] });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await stack?.stop();
    await dropDatabase(PG_SUPERUSER_URL, database);
  });

  test("the operator admin finds the station's plans and their versions under Tariffs", async () => {
    await page.goto(server.url);
    await page.waitForURL(/\/sign-in/);
    await page.fill('#tenantCode', operator.code);
    await page.fill('#username', 'admin');
    await page.fill('#password', passwords.operatorAdmin);
    await page.click('[data-test=sign-in]');
    await page.waitForURL(/\/dashboard$/);
    await page.click('[data-test=menu-tariffs]');
    await page.waitForURL(new RegExp(`/tariffs\\?station=${stationId}$`));
    await page.getByRole('heading', { name: '电价方案' }).waitFor();
    const stationPlans = page.locator('[data-test=plans-station]');
    await stationPlans.getByText('Pudong time-of-use').waitFor();
    expect(await stationPlans.textContent()).toContain('当前版本 v1');
    expect(await page.locator('[data-test=plans-tenant]').textContent()).toContain('Standard time-of-use');
    // its versions, with their effective times
    await stationPlans.locator('.el-table__expand-icon').first().click();
    await page.locator(`[data-test=versions-${planId}]`).getByText('v1').waitFor();
    expect(await page.locator(`[data-test=versions-${planId}]`).textContent()).toContain('08:00–18:00 0.8500+0.4000');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'tariffs.png'), fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);
  });

  test('dragging across the bar reprices 07:00–09:00; the preview moves to what the API prices the edited plan at', async () => {
    await page.click(`[data-test=edit-${planId}]`);
    await page.waitForURL(new RegExp(`plan=${planId}`));
    await page.locator('[data-test=tariff-editor]').waitFor();
    expect(await page.locator('[data-slot]').count()).toBe(96);

    // the sample session (07:00, 120 minutes, 20 kWh) priced with the unchanged draft: the saved plan's price
    await page.click('[data-test=preview]');
    await page.locator('[data-test=preview-total]').waitFor();
    const before = await apiPrice(later());
    expect(await previewTotal()).toBe(`合计 ${before} CNY`);

    await dragAcross(28, 35);
    expect(await page.locator('[data-test=selection]').textContent()).toContain('07:00–09:00');
    expect(await page.locator('.bar__slot--selected').count()).toBe(8);
    await page.fill('#sel-energy', '1.5');
    await page.fill('#sel-service', '0.5');
    await page.click('[data-test=apply]');
    await page.locator('[data-test=segments]').getByText('2.0000').waitFor(); // 1.5 + 0.5 per kWh
    expect(await page.locator('[data-test=problems]').textContent()).toContain('时段覆盖全天，无重叠');

    await page.click('[data-test=preview]');
    const after = await apiPrice(today(), EDITED);
    expect(after).not.toBe(before);
    await page.locator('[data-test=preview-total]', { hasText: after }).waitFor();
    expect(await page.locator('[data-test=preview-items]').textContent()).toContain('1.5000');
    // nothing was saved: the plan still prices at its old price
    expect(await apiPrice(later())).toBe(before);
  });

  test('a gap or an overlap typed into the segments is shown where it is', async () => {
    const end = page.getByRole('textbox', { name: '结束 2' });
    await end.fill('08:30');
    await page.locator('[data-test=problems] [data-kind=gap]', { hasText: '08:30–09:00 未覆盖' }).waitFor();
    expect(await page.locator('[data-slot="34"]').getAttribute('data-state')).toBe('gap');
    await end.fill('09:30');
    await page.locator('[data-test=problems] [data-kind=overlap]', { hasText: '09:00–09:30 重叠：时段 2, 3' }).waitFor();
    expect(await page.locator('[data-slot="36"]').getAttribute('data-state')).toBe('overlap');
    expect(await page.locator('[data-test=publish]').isDisabled()).toBe(true);
    await end.fill('09:00');
    await page.locator('[data-test=problems]', { hasText: '时段覆盖全天，无重叠' }).waitFor();
  });

  test("the draft's impact on the last 30 days is charted before publishing; publishing makes version 2", async () => {
    await page.click('[data-test=impact]');
    await page.locator('[data-test=impact-total]').waitFor();
    await page.locator('[data-test=impact-chart] svg').waitFor();
    const impact = await gql(
      'query($i: TariffImpactInput!) { tariffImpact(input: $i) { impact { total { sessions difference { formatted } } } userErrors { code } } }',
      { i: { stationId, segments: EDITED, from: new Date(Date.now() - 30 * 86_400_000), to: new Date() } },
    );
    const total = impact.tariffImpact.impact.total;
    expect(await page.locator('[data-test=impact-total]').textContent()).toContain(`${total.sessions} 笔订单`);
    expect(await page.locator('[data-test=impact-total]').textContent()).toContain(`差额 ${total.difference.formatted} CNY`);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'tariff-editor.png'), fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);

    const effective = await localTimeIn(10);
    await page.fill('#effective-from', effective.value);
    await page.click('[data-test=publish]');
    await page.locator('[data-test=published]', { hasText: '已发布 v2' }).waitFor();
    const plan = (
      await gql('query($id: ID!) { tariffPlan(id: $id) { versions { version effectiveFrom segments { start end energyPrice serviceFee } } } }', { id: planId })
    ).tariffPlan;
    expect(plan.versions.map((v: { version: number }) => v.version)).toEqual([1, 2]);
    expect(plan.versions[1]).toEqual({ version: 2, effectiveFrom: effective.instant, segments: EDITED });
    // a sample session the day after tomorrow is priced with the published version: the preview's price
    expect(await apiPrice(later())).toBe(await apiPrice(today(), EDITED));
    await page.click('[data-test=back]');
    await page.locator('[data-test=plans-station]', { hasText: 'v2' }).waitFor();
  });

  test('a draft a YKC pile cannot hold (a quarter-hour boundary) is warned of while edited and once published, and binding the pile to it is refused with the reason', async () => {
    await page.click(`[data-test=edit-${planId}]`);
    await page.locator('[data-test=tariff-editor]').waitFor();
    await dragAcross(29, 29); // 07:15–07:30 alone: YKC slots are half-hours
    await page.fill('#sel-energy', '3');
    await page.fill('#sel-service', '0');
    expect(await page.locator('[data-test=ykc-draft-warning]').count()).toBe(0);
    await page.click('[data-test=apply]');
    // warned while still a draft, with the reason publishing would carry
    const draftWarning = page.locator('[data-test=ykc-draft-warning]');
    await draftWarning.waitFor();
    expect(await draftWarning.textContent()).toContain('07:00–07:30');
    await page.fill('#effective-from', (await localTimeIn(20)).value);
    await page.click('[data-test=publish]');
    await page.locator('[data-test=published]', { hasText: '已发布 v3' }).waitFor();
    const v3 = (await gql('query($id: ID!) { tariffPlan(id: $id) { versions { ykcBillingModel { representable reasons } } } }', { id: planId })).tariffPlan
      .versions[2];
    expect(v3.ykcBillingModel.representable).toBe(false);
    const warning = page.locator('[data-test=ykc-warning]');
    await warning.waitFor();
    expect(await warning.textContent()).toContain(v3.ykcBillingModel.reasons[0]);

    await page.locator('[data-test=bind-chargers]').getByText(DEMO_YKC_PILE).click();
    await page.click('[data-test=bind]');
    await page.locator('[data-test=ykc-error]').waitFor();
    expect(await page.locator('[data-test=ykc-error]').textContent()).toContain('YKC_UNREPRESENTABLE');
    const binding = (await gql('query($c: ID!) { chargerTariffBinding(chargerId: $c) { plan { id } } }', { c: ykcPileId })).chargerTariffBinding;
    expect(binding).toBeNull();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'tariff-ykc-warning.png'), fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);
  });

  test("the audit log's Tariffs source shows what the editor did, newest first, narrowed by action", async () => {
    await page.click('[data-test=menu-admin-audit]');
    await page.getByRole('heading', { name: '审计日志', exact: true }).waitFor();
    await page.click('[data-test=audit-source-tariffs]');
    await page.locator('[data-test=service-audit-action-cell]').first().waitFor();
    const log = (await gql('query { tariffAuditLog(first: 20) { edges { node { action targetId } } } }')).tariffAuditLog.edges.map(
      (e: { node: { action: string; targetId: string } }) => e.node,
    );
    // two revisions published from the console (v2, v3), each with the plan as its target
    expect(log.filter((e: { action: string; targetId: string }) => e.action === 'TARIFF_PLAN_REVISED' && e.targetId === planId)).toHaveLength(2);
    expect(await page.locator('[data-test=service-audit-action-cell]').allTextContents()).toEqual(log.map((e: { action: string }) => e.action));

    // narrowed to one action
    await page.fill('[data-test=service-audit-action]', 'TARIFF_PLAN_REVISED');
    await page.click('[data-test=service-audit-search]');
    await page.waitForFunction(() =>
      [...document.querySelectorAll('[data-test=service-audit-action-cell]')].every((c) => c.textContent === 'TARIFF_PLAN_REVISED'),
    );
    expect(await page.locator('[data-test=service-audit-details]').first().textContent()).toContain('"after"');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'audit-tariffs.png'), fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);
  });

  test("the audit log's Stations & chargers source shows a station renamed here, before and after, with who", async () => {
    const before = (await gql('query($id: ID!) { station(id: $id) { name } }', { id: stationId })).station.name as string;
    const renamed = await gql('mutation($id: ID!, $i: UpdateStationInput!) { updateStation(id: $id, input: $i) { station { name } userErrors { code } } }', {
      id: stationId,
      i: { name: `${before} (audited)` },
    });
    expect(renamed.updateStation.userErrors).toEqual([]);
    await page.click('[data-test=audit-source-assets]');
    await page.waitForFunction(
      (id) => [...document.querySelectorAll('[data-test=service-audit] tbody tr')].some((r) => r.textContent?.includes(`station ${id}`)),
      stationId,
    );
    const log = (await gql('query { assetAuditEntries(first: 20) { edges { node { action actorType actorId } } } }')).assetAuditEntries.edges.map(
      (e: { node: { action: string; actorType: string; actorId: string } }) => e.node,
    );
    // the rename, by the signed-in admin, is the newest entry
    expect(log[0]).toMatchObject({ action: 'STATION_UPDATED', actorType: 'USER' });
    expect(await page.locator('[data-test=service-audit-action-cell]').allTextContents()).toEqual(log.map((e: { action: string }) => e.action));

    await page.fill('[data-test=service-audit-action]', 'STATION_UPDATED');
    await page.click('[data-test=service-audit-search]');
    await page.waitForFunction(() => [...document.querySelectorAll('[data-test=service-audit-action-cell]')].every((c) => c.textContent === 'STATION_UPDATED'));
    const row = page.locator('[data-test=service-audit] tbody tr').first();
    const details = JSON.parse((await row.locator('[data-test=service-audit-details]').textContent()) ?? '{}');
    expect(details).toMatchObject({ before: { id: stationId, name: before }, after: { id: stationId, name: `${before} (audited)` } });
    expect(await row.textContent()).toContain(`USER ${log[0].actorId}`);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'audit-assets.png'), fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);
  });
});
