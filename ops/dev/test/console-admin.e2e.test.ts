import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { dropDatabase } from '@evcs/platform';
import { eventually, PG_SUPERUSER_URL, REPO_ROOT, uniqueName } from '@evcs/testkit';
import { SimulatedChargePoint } from '@evcs/protocol-bridge/dist/src/simulator';
import { ConsoleServer, startConsoleServer } from '../src/console-server';
import { demoOperator, demoPlatform } from '../src/demo';
import { Stack, startStack } from '../src/stack';
import { CHROMIUM, SCREENSHOTS, seriousViolations } from './support/browser';

/**
 * The console's Administration screens in a real browser against the whole platform: the demo
 * operator's administrator creates a role scoped to assigned stations, a user holding it, gives
 * the user a station, issues them an id tag (a duplicate is refused with its code and message),
 * blocks it, and finds the issue in the audit log; rotates a charger's password (shown once); disables the user.
 * A viewer, whose role lacks those permissions, is offered neither the screens nor the buttons.
 */
describe('operator console: administration', () => {
  const database = uniqueName('evcs_console_admin');
  const passwords = { platformAdmin: 'platform password 1', operatorAdmin: 'operator password 1', stationManager: 'viewer password 1' };
  const operator = demoOperator(passwords);
  const STATION = operator.stations[0];
  const TAG = 'E2E-CARD-0001';
  let stack: Stack;
  let server: ConsoleServer;
  let browser: Browser;
  let page: Page;
  let adminToken: string;

  async function gql(query: string, variables: Record<string, unknown> = {}) {
    const res = await fetch(stack.routerUrls[0], {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as any;
  }

  async function signIn(username: string, password: string): Promise<void> {
    await page.goto(new URL('/sign-in', server.url).href);
    await page.fill('#tenantCode', operator.code);
    await page.fill('#username', username);
    await page.fill('#password', password);
    await page.click('[data-test=sign-in]');
    await page.waitForURL((u) => !u.pathname.startsWith('/sign-in'));
  }

  /** Open a screen from the menu; it is there only with the permission it needs. */
  async function open(name: string, heading: string): Promise<void> {
    await page.click(`[data-test=menu-${name}]`);
    await page.getByRole('heading', { name: heading, exact: true }).waitFor();
  }

  async function pick(select: string, option: string): Promise<void> {
    await page.click(`[data-test=${select}]`);
    await page.locator('.el-select-dropdown__item:visible', { hasText: option }).first().click();
  }

  async function check(name: string): Promise<void> {
    // off the button just clicked: its hover colour is theme.css's concern, not this screen's
    await page.mouse.move(640, 890);
    await page.screenshot({ path: path.join(SCREENSHOTS, `admin-${name}.png`), fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);
  }

  const menuTexts = () => page.locator('[data-test=menu] .el-sub-menu .el-menu-item').allTextContents();
  const dialog = () => page.locator('.el-dialog:visible');

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) execFileSync('bash', [path.join(REPO_ROOT, 'ops/chromium/install.sh')], { stdio: 'inherit', timeout: 900_000 });
    mkdirSync(SCREENSHOTS, { recursive: true });
    stack = await startStack({ database, kafkaNamespace: uniqueName('console_admin'), ports: 'ephemeral', quiet: true });
    await stack.seedTenant(demoPlatform(passwords));
    await stack.seedTenant(operator);
    adminToken = (await stack.login(operator.code, 'admin', passwords.operatorAdmin)).accessToken;
    server = await startConsoleServer({ routerUrl: stack.routerUrls[0], port: 0 });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--disable-dev-shm-usage'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await stack?.stop();
    await dropDatabase(PG_SUPERUSER_URL, database);
  });

  test('the operator admin is offered every Administration screen; the tenant tree without creating (no tenant:admin)', async () => {
    await signIn('admin', passwords.operatorAdmin);
    expect(await menuTexts()).toEqual(['租户', '用户', '角色与权限', '数据范围', '充电卡', '充电桩凭据', '审计日志']);
    await open('admin-tenants', '租户层级');
    await page.locator('[data-test=tenant-tree]', { hasText: `${operator.name} (${operator.code})` }).waitFor();
    expect(await page.locator('[data-test=tenant-create]').count()).toBe(0);
    await check('tenants');
  });

  test('creates a role scoped to assigned stations, then a user holding it', async () => {
    await open('admin-roles', '角色与权限');
    await page.locator('[data-test=roles]', { hasText: 'OPERATOR_ADMIN' }).waitFor();
    await check('roles');
    await page.click('[data-test=role-create]');
    await page.fill('[data-test=role-code]', 'STATION_CLERK');
    await page.fill('[data-test=role-name]', 'Station clerk');
    await pick('role-scope', 'ASSIGNED_STATIONS');
    for (const p of ['station:read', 'order:read']) await page.locator('[data-test=role-permissions] .el-checkbox', { hasText: p }).click();
    // only what the admin holds is offered (OPERATOR_ADMIN has no tenant:admin)
    expect(await page.locator('[data-test=role-permissions]').textContent()).not.toContain('tenant:admin');
    await check('role-form');
    await page.click('[data-test=role-save]');
    await page.locator('[data-test=roles] tr', { hasText: 'STATION_CLERK' }).waitFor();
    expect(await page.locator('[data-test=roles] tr', { hasText: 'STATION_CLERK' }).textContent()).toContain('ASSIGNED_STATIONS');

    await open('admin-users', '用户');
    await page.locator('[data-test=users]', { hasText: 'viewer' }).waitFor();
    await page.click('[data-test=user-create]');
    await page.fill('[data-test=user-username]', 'clerk1');
    await page.fill('[data-test=user-display-name]', 'Clerk One');
    await page.fill('[data-test=user-password]', 'clerk password 1');
    await pick('user-role-select', 'STATION_CLERK');
    // the multiple select stays open: closed by a click elsewhere (Escape would close the dialog too)
    await dialog().locator('.el-dialog__title').click();
    await check('user-form');
    await page.click('[data-test=user-save]');
    const row = page.locator('[data-test=users] tr', { hasText: 'clerk1' });
    await row.waitFor();
    expect(await row.textContent()).toContain('STATION_CLERK');
    expect(await row.locator('[data-test=user-status]').textContent()).toBe('ACTIVE');
    await check('users');
  });

  test("assigns a station to the user's data scope", async () => {
    await open('admin-data-scopes', '数据范围');
    await pick('scope-user', 'clerk1');
    expect(await page.locator('[data-test=scope-roles]').textContent()).toContain('STATION_CLERK: ASSIGNED_STATIONS');
    await page.locator('[data-test=scope-stations] .el-checkbox', { hasText: STATION.code }).click();
    const saved = page.waitForResponse((r) => r.url().endsWith('/graphql') && (r.request().postData() ?? '').includes('mutation AssignStations'));
    await page.click('[data-test=scope-save]');
    expect(((await (await saved).json()) as { data: { assignStations: { userErrors: unknown[] } } }).data.assignStations.userErrors).toEqual([]);
    await check('data-scopes');
    // the user signs in with that scope: the one station
    const stationIds = (await gql('{ users(first: 500) { edges { node { username stationIds } } } }')).data.users.edges.find(
      (e: { node: { username: string } }) => e.node.username === 'clerk1',
    ).node.stationIds;
    const station = (await gql('{ stations(first: 10) { edges { node { id code } } } }')).data.stations.edges[0].node;
    expect(station.code).toBe(STATION.code);
    expect(stationIds).toEqual([station.id]);
    const clerk = await stack.login(operator.code, 'clerk1', 'clerk password 1');
    expect(clerk.accessToken).toEqual(expect.any(String));
  });

  test('issues an id tag to the user; the same value again is refused with its code and message; blocks it', async () => {
    await open('admin-id-tags', '充电卡');
    await page.click('[data-test=idtag-issue]');
    await page.fill('[data-test=idtag-value]', TAG);
    await pick('idtag-user', 'clerk1');
    await page.click('[data-test=idtag-save]');
    const row = page.locator('[data-test=idtags] tr', { hasText: TAG });
    await row.waitFor();
    expect(await row.textContent()).toContain('clerk1');
    expect(await row.locator('[data-test=idtag-status]').textContent()).toBe('ACCEPTED');

    await page.click('[data-test=idtag-issue]');
    await page.fill('[data-test=idtag-value]', TAG.toLowerCase());
    await page.click('[data-test=idtag-save]');
    await page.locator('[data-test=idtag-error]').waitFor();
    expect(await page.locator('[data-test=idtag-error]').textContent()).toMatch(/DUPLICATE \(value\): \S+/);
    await check('idtag-refused');
    await dialog().getByRole('button', { name: '取消' }).click();

    await row.locator('[data-test=idtag-block]').click();
    await page.waitForFunction((tag) => {
      const tr = [...document.querySelectorAll('[data-test=idtags] tr')].find((r) => r.textContent?.includes(tag));
      return tr?.querySelector('[data-test=idtag-status]')?.textContent === 'BLOCKED';
    }, TAG);
    await check('idtags');
  });

  test('the audit log shows the issue, filtered by type, with the tag in its details', async () => {
    await open('admin-audit', '审计日志');
    await page.locator('[data-test=audit-type-cell]').first().waitFor();
    // the types on the page are offered (the newest first page holds the issue)
    await pick('audit-type', 'ID_TAG_CREATED');
    await page.getByRole('heading', { name: '审计日志', exact: true }).click();
    await page.click('[data-test=audit-search]');
    await page.waitForFunction(() => {
      const types = [...document.querySelectorAll('[data-test=audit-type-cell]')].map((c) => c.textContent);
      return types.length > 0 && types.every((t) => t === 'ID_TAG_CREATED');
    });
    // the demo's seeded tags were issued too: the one issued here is among them, once
    const rows = await page.locator('[data-test=audit] .el-table__body tr').allTextContents();
    expect(rows.filter((r) => r.includes(`"value":"${TAG}"`))).toHaveLength(1);
    await check('audit');
  });

  test("rotates a charger's password: shown once, then gone", async () => {
    await open('admin-credentials', '充电桩凭据');
    const row = page.locator('[data-test=credentials] tr', { hasText: 'DEMO-CP-0002' });
    await row.waitFor();
    await check('credentials');
    await row.locator('[data-test=credential-rotate]').click();
    await page.locator('.el-message-box__btns .el-button--primary').click();
    const secret = page.locator('[data-test=credential-secret]');
    await secret.waitFor();
    const password = (await secret.textContent())?.trim() ?? '';
    expect(password.length).toBeGreaterThanOrEqual(16);
    await check('credential-once');
    await page.click('[data-test=credential-close]');
    // the dialog is hidden and the password forgotten: nowhere in the page any more
    await secret.waitFor({ state: 'hidden' });
    expect(await page.content()).not.toContain(password);
    // the password shown is the charger's now: it connects with it
    const cp = new SimulatedChargePoint({ url: stack.bridgeUrl, id: 'DEMO-CP-0002', password });
    try {
      await cp.connect();
      expect((await cp.boot()).status).toBe('Accepted');
    } finally {
      await cp.close().catch(() => undefined);
    }
  });

  test("revokes a charger's credential with a reason: its connection is dropped, it is refused, the row says revoked", async () => {
    await open('admin-credentials', '充电桩凭据');
    const row = page.locator('[data-test=credentials] tr', { hasText: 'DEMO-CP-0003' });
    await row.waitFor();
    // connected with the password the API hands out
    const password = (
      await gql('mutation($id: ID!) { rotateChargerCredential(chargerId: $id) { credential { password } } }', {
        id: (await gql('query($c: String!) { chargerByCode(code: $c) { id } }', { c: 'DEMO-CP-0003' })).data.chargerByCode.id,
      })
    ).data.rotateChargerCredential.credential.password as string;
    const cp = new SimulatedChargePoint({ url: stack.bridgeUrl, id: 'DEMO-CP-0003', password });
    try {
      await eventually(
        () =>
          cp.connect().then(
            () => true,
            () => false,
          ),
        { timeoutMs: 10_000, what: 'DEMO-CP-0003 connected' },
      );
      expect((await cp.boot()).status).toBe('Accepted');
      await row.locator('[data-test=credential-revoke]').click();
      const box = page.locator('.credential-revoke-dialog');
      await box.waitFor();
      // no reason, no revocation
      await box.locator('.el-message-box__btns .el-button--primary').click();
      await box.locator('.el-message-box__errormsg').waitFor();
      await box.locator('.el-message-box__input input').fill('charger stolen from the depot');
      await check('credential-revoke');
      await box.locator('.el-message-box__btns .el-button--primary').click();
      await row.locator('[data-test=credential-revoked]').waitFor();
      expect(await row.locator('[data-test=credential-revoke]').count()).toBe(0);
      await eventually(async () => !cp.isOpen, { timeoutMs: 10_000, what: 'the revoked charger disconnected' });
      const again = new SimulatedChargePoint({ url: stack.bridgeUrl, id: 'DEMO-CP-0003', password });
      await expect(again.connect()).rejects.toMatchObject({ code: 401 });
    } finally {
      await cp.close().catch(() => undefined);
    }
    const audit = (await gql('{ assetAuditLog(first: 5) { action after } }')).data.assetAuditLog as { action: string; after: { reason?: string } }[];
    expect(audit.find((e) => e.action === 'CHARGER_CREDENTIAL_REVOKED')?.after.reason).toBe('charger stolen from the depot');
  });

  test('disables the user: their sign-in is refused from then on', async () => {
    await open('admin-users', '用户');
    const row = page.locator('[data-test=users] tr', { hasText: 'clerk1' });
    await row.locator('[data-test=user-disable]').click();
    await page.locator('.el-message-box__btns .el-button--primary').click();
    await page.waitForFunction(() => {
      const tr = [...document.querySelectorAll('[data-test=users] tr')].find((r) => r.textContent?.includes('clerk1'));
      return tr?.querySelector('[data-test=user-status]')?.textContent === 'DISABLED';
    });
    await expect(stack.login(operator.code, 'clerk1', 'clerk password 1')).rejects.toThrow(/ACCOUNT_DISABLED/);
    // the admin is not offered disabling themselves
    expect(await page.locator('[data-test=users] tr', { hasText: 'Operator administrator' }).locator('[data-test=user-disable]').count()).toBe(0);
  });

  test('a viewer, whose role lacks the permissions, is offered neither those screens nor the buttons', async () => {
    await page.click('[data-test=sign-out]');
    await page.waitForURL(/\/sign-in/);
    await signIn('viewer', passwords.stationManager);
    // VIEWER: tenant:read, user:read, idtag:read — no user:write, charger:write, audit:read
    expect(await menuTexts()).toEqual(['租户', '用户', '角色与权限', '充电卡']);
    await open('admin-users', '用户');
    await page.locator('[data-test=users]', { hasText: 'clerk1' }).waitFor();
    expect(await page.locator('[data-test=user-create], [data-test=user-roles], [data-test=user-disable]').count()).toBe(0);
    await check('users-viewer');
    await open('admin-id-tags', '充电卡');
    await page.locator('[data-test=idtags]', { hasText: TAG }).waitFor();
    expect(await page.locator('[data-test=idtag-issue], [data-test=idtag-block], [data-test=idtag-unblock]').count()).toBe(0);
    await open('admin-roles', '角色与权限');
    await page.locator('[data-test=roles]', { hasText: 'STATION_CLERK' }).waitFor();
    expect(await page.locator('[data-test=role-create], [data-test=role-edit]').count()).toBe(0);
    // asked for by address (in the app: a reload would forget the in-memory session), it is refused too
    await page.evaluate(() => {
      history.pushState({}, '', '/admin/audit');
      dispatchEvent(new PopStateEvent('popstate'));
    });
    await page.waitForURL(/\/forbidden$/);
  });
});
