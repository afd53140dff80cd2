import { Harness, PASSWORD, seedHierarchy, startHarness } from './harness';

const CREATE_USER = 'mutation($i: CreateUserInput!) { createUser(input: $i) { user { id username } userErrors { code field message } } }';

describe('tenants administration: hierarchy scope, quotas, roles, audit, cross-tenant actions', () => {
  let h: Harness;
  let s: Awaited<ReturnType<typeof seedHierarchy>>;
  const tok: Record<string, string> = {};

  beforeAll(async () => {
    h = await startHarness();
    s = await seedHierarchy(h);
    for (const [k, code] of Object.entries(s.codes)) {
      tok[`${k}.admin`] = (await h.login(code, 'admin', PASSWORD)).internal;
      tok[`${k}.viewer`] = (await h.login(code, 'viewer', PASSWORD)).internal;
    }
  });
  afterAll(async () => h?.stop());

  const seeTenant = async (token: string, id: string) =>
    (await h.gql('query($id: ID!) { tenant(id: $id) { id } }', { token, variables: { id } })).body.data?.tenant?.id ?? null;

  it('TENANT_AND_CHILDREN follows the hierarchy downwards only: a partner sees nothing of its parent or siblings', async () => {
    // operator admin: own + partners
    expect(await seeTenant(tok['opA.admin'], s.ids.partnerA1)).toBe(s.ids.partnerA1);
    expect(await seeTenant(tok['opA.admin'], s.ids.platform)).toBeNull();
    expect(await seeTenant(tok['opA.admin'], s.ids.opB)).toBeNull();
    // partner admin (OPERATOR_ADMIN role, TENANT_AND_CHILDREN) in partnerA1
    expect(await seeTenant(tok['partnerA1.admin'], s.ids.opA)).toBeNull();
    expect(await seeTenant(tok['partnerA1.admin'], s.ids.partnerA2)).toBeNull();
    expect(await seeTenant(tok['partnerA1.admin'], s.ids.partnerA1)).toBe(s.ids.partnerA1);
    const children = await h.gql('{ currentTenant { id children { id } } }', { token: tok['opA.admin'] });
    expect(children.body.data.currentTenant.children.map((c: { id: string }) => c.id).sort()).toEqual([s.ids.partnerA1, s.ids.partnerA2].sort());
    const users = await h.gql('{ users(first: 100) { edges { node { tenantId username } } } }', { token: tok['partnerA1.admin'] });
    expect(new Set(users.body.data.users.edges.map((e: { node: { tenantId: string } }) => e.node.tenantId))).toEqual(new Set([s.ids.partnerA1]));
  });

  it('a viewer (TENANT) reads only its tenant; users pages walk without gaps', async () => {
    expect(await seeTenant(tok['opA.viewer'], s.ids.partnerA1)).toBeNull();
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const r: { body: any } = await h.gql(
        'query($a: String) { users(first: 1, after: $a) { edges { cursor node { username tenantId } } pageInfo { hasNextPage endCursor } } }',
        {
          token: tok['opA.viewer'],
          variables: { a: after },
        },
      );
      const c = r.body.data.users;
      seen.push(...c.edges.map((e: { node: { username: string; tenantId: string } }) => `${e.node.tenantId}/${e.node.username}`));
      if (!c.pageInfo.hasNextPage) break;
      after = c.pageInfo.endCursor;
    }
    expect(seen).toEqual(['admin', 'manager', 'viewer'].map((u) => `${s.ids.opA}/${u}`));
    // backwards from the end: the same users in the same order
    const back = await h.gql('{ users(last: 2) { edges { node { username } } pageInfo { hasPreviousPage hasNextPage startCursor } } }', {
      token: tok['opA.viewer'],
    });
    expect(back.body.data.users.edges.map((e: { node: { username: string } }) => e.node.username)).toEqual(['manager', 'viewer']);
    expect(back.body.data.users.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
    const before = await h.gql('query($b: String) { users(last: 2, before: $b) { edges { node { username } } pageInfo { hasPreviousPage hasNextPage } } }', {
      token: tok['opA.viewer'],
      variables: { b: back.body.data.users.pageInfo.startCursor },
    });
    expect(before.body.data.users).toEqual({ edges: [{ node: { username: 'admin' } }], pageInfo: { hasPreviousPage: false, hasNextPage: true } });
    const bad = await h.gql('{ users(after: "garbage") { edges { cursor } } }', { token: tok['opA.viewer'] });
    expect(bad.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });

  it('user quota: creation stops at the limit, also under concurrency, and the refusal is audited', async () => {
    // opB has 3 users; quota 5 leaves room for exactly 2 more
    const up = await h.gql('mutation($i: UpdateTenantInput!) { updateTenant(input: $i) { tenant { quotas { maxUsers } } userErrors { code } } }', {
      token: tok['platform.admin'],
      variables: { i: { tenantId: s.ids.opB, quotas: { maxUsers: 5 } } },
    });
    expect(up.body.data.updateTenant).toEqual({ tenant: { quotas: { maxUsers: 5 } }, userErrors: [] });
    const results = await Promise.all(
      [1, 2, 3, 4, 5].map((i) =>
        h.gql(CREATE_USER, { token: tok['opB.admin'], variables: { i: { username: `quota-${i}`, password: 'long enough password' } } }),
      ),
    );
    const created = results.filter((r) => r.body.data.createUser.user);
    const refused = results.filter((r) => r.body.data.createUser.userErrors[0]?.code === 'QUOTA_EXCEEDED');
    expect(created).toHaveLength(2);
    expect(refused).toHaveLength(3);
    const audit = await h.gql('query { auditEvents(filter: { types: ["QUOTA_REFUSED"] }) { edges { node { tenantId details } } } }', {
      token: tok['opB.admin'],
    });
    expect(audit.body.data.auditEvents.edges).toHaveLength(3);
    expect(audit.body.data.auditEvents.edges[0].node.details).toMatchObject({ resource: 'users', limit: 5 });
  });

  it('a tenant cannot raise its own quota; changing a child needs platform:cross-tenant and is audited in both tenants', async () => {
    const own = await h.gql('mutation($i: UpdateTenantInput!) { updateTenant(input: $i) { tenant { id } userErrors { code field } } }', {
      token: tok['platform.admin'],
      variables: { i: { tenantId: s.ids.platform, quotas: { maxUsers: 1 } } },
    });
    expect(own.body.data.updateTenant.userErrors).toEqual([{ code: 'NOT_ALLOWED', field: 'quotas' }]);
    const opAdmin = await h.gql('mutation($i: UpdateTenantInput!) { updateTenant(input: $i) { tenant { id } } }', {
      token: tok['opA.admin'],
      variables: { i: { tenantId: s.ids.partnerA1, quotas: { maxStations: 1 } } },
    });
    expect(opAdmin.body.errors[0].extensions.code).toBe('FORBIDDEN');
    const platformLog = await h.gql('{ auditEvents(filter: { types: ["CROSS_TENANT_ACTION"] }) { edges { node { tenantId details } } } }', {
      token: tok['platform.admin'],
    });
    expect(platformLog.body.data.auditEvents.edges.some((e: any) => e.node.tenantId === s.ids.platform && e.node.details.targetTenantId === s.ids.opB)).toBe(
      true,
    );
    const opBLog = await h.gql('{ auditEvents(filter: { types: ["TENANT_UPDATED"] }) { edges { node { tenantId actorTenantId } } } }', {
      token: tok['opB.admin'],
    });
    expect(opBLog.body.data.auditEvents.edges[0].node).toEqual({ tenantId: s.ids.opB, actorTenantId: s.ids.platform });
  });

  it('creates a partner tenant with its first administrator, who can sign in', async () => {
    const code = `new-partner-${Date.now().toString(36)}`;
    const r = await h.gql('mutation($i: CreateTenantInput!) { createTenant(input: $i) { tenant { id type parentId } userErrors { code field } } }', {
      token: tok['platform.admin'],
      variables: { i: { code, name: 'New Partner', type: 'PARTNER', quotas: { maxUsers: 2 }, admin: { username: 'boss', password: 'first admin password' } } },
    });
    expect(r.body.data.createTenant.userErrors).toEqual([]);
    expect(r.body.data.createTenant.tenant).toMatchObject({ type: 'PARTNER', parentId: s.ids.platform });
    const boss = await h.login(code, 'boss', 'first admin password');
    expect(boss.identity.roles).toEqual(['OPERATOR_ADMIN']);
    const dup = await h.gql('mutation($i: CreateTenantInput!) { createTenant(input: $i) { tenant { id } userErrors { code field } } }', {
      token: tok['platform.admin'],
      variables: { i: { code, name: 'Again', type: 'PARTNER' } },
    });
    expect(dup.body.data.createTenant.userErrors).toEqual([{ code: 'DUPLICATE', field: 'code' }]);
    const invalid = await h.gql('mutation($i: CreateTenantInput!) { createTenant(input: $i) { tenant { id } userErrors { code field } } }', {
      token: tok['platform.admin'],
      variables: { i: { code: 'Bad Code!', name: '', type: 'PARTNER' } },
    });
    expect(invalid.body.data.createTenant.userErrors.map((e: { field: string }) => e.field).sort()).toEqual(['code', 'name']);
  });

  it('nobody grants more than they hold; role changes are audited', async () => {
    // an operator admin creates a custom role within its own powers
    const mk = await h.gql('mutation($i: CreateRoleInput!) { createRole(input: $i) { role { id code system } userErrors { code field } } }', {
      token: tok['opA.admin'],
      variables: { i: { code: 'night_shift', name: 'Night shift', dataScope: 'TENANT', permissions: ['station:read', 'order:read'] } },
    });
    expect(mk.body.data.createRole.userErrors).toEqual([]);
    expect(mk.body.data.createRole.role).toMatchObject({ code: 'NIGHT_SHIFT', system: false });
    const roleId = mk.body.data.createRole.role.id;
    // ...but cannot add a permission it lacks, nor widen to ALL
    const tooMuch = await h.gql(
      'mutation($r: ID!, $p: [String!]!, $d: DataScope) { updateRolePermissions(roleId: $r, permissions: $p, dataScope: $d) { role { id } userErrors { code } } }',
      {
        token: tok['opA.admin'],
        variables: { r: roleId, p: ['station:read', 'platform:cross-tenant'], d: null },
      },
    );
    expect(tooMuch.body.data.updateRolePermissions.userErrors[0].code).toBe('GRANT_NOT_ALLOWED');
    const wider = await h.gql(
      'mutation($r: ID!, $p: [String!]!, $d: DataScope) { updateRolePermissions(roleId: $r, permissions: $p, dataScope: $d) { role { id } userErrors { code } } }',
      {
        token: tok['opA.admin'],
        variables: { r: roleId, p: ['station:read'], d: 'ALL' },
      },
    );
    expect(wider.body.data.updateRolePermissions.userErrors[0].code).toBe('GRANT_NOT_ALLOWED');
    const unknown = await h.gql('mutation($i: CreateRoleInput!) { createRole(input: $i) { role { id } userErrors { code } } }', {
      token: tok['opA.admin'],
      variables: { i: { code: 'X_ROLE', name: 'x', dataScope: 'TENANT', permissions: ['station:fly'] } },
    });
    expect(unknown.body.data.createRole.userErrors[0].code).toBe('INVALID_PERMISSION');
    const ok = await h.gql(
      'mutation($r: ID!, $p: [String!]!) { updateRolePermissions(roleId: $r, permissions: $p) { role { permissions } userErrors { code } } }',
      {
        token: tok['opA.admin'],
        variables: { r: roleId, p: ['station:read'] },
      },
    );
    expect(ok.body.data.updateRolePermissions).toEqual({ role: { permissions: ['station:read'] }, userErrors: [] });
    // system roles don't change
    const roles = await h.gql('{ roles { id code system } }', { token: tok['opA.admin'] });
    const viewer = roles.body.data.roles.find((r: { code: string }) => r.code === 'VIEWER');
    const sys = await h.gql('mutation($r: ID!, $p: [String!]!) { updateRolePermissions(roleId: $r, permissions: $p) { role { id } userErrors { code } } }', {
      token: tok['opA.admin'],
      variables: { r: viewer.id, p: [] },
    });
    expect(sys.body.data.updateRolePermissions.userErrors[0].code).toBe('SYSTEM_ROLE_IMMUTABLE');
    // another tenant can't see or use the custom role
    const other = await h.gql('{ roles { code } }', { token: tok['opB.admin'] });
    expect(other.body.data.roles.map((r: { code: string }) => r.code)).not.toContain('NIGHT_SHIFT');
    const log = await h.gql('{ auditEvents(filter: { types: ["ROLE_CREATED", "ROLE_PERMISSIONS_CHANGED"] }) { edges { node { type details } } } }', {
      token: tok['opA.admin'],
    });
    expect(log.body.data.auditEvents.edges.map((e: { node: { type: string } }) => e.node.type)).toEqual(['ROLE_PERMISSIONS_CHANGED', 'ROLE_CREATED']);
    expect(log.body.data.auditEvents.edges[0].node.details).toMatchObject({ removed: ['order:read'], added: [] });
  });

  it('assigning roles: within your powers only, audited; a viewer cannot assign at all', async () => {
    const created = await h.gql(CREATE_USER, { token: tok['opA.admin'], variables: { i: { username: 'newbie', password: 'long enough password' } } });
    const userId = created.body.data.createUser.user.id;
    const roles = (await h.gql('{ roles { id code } }', { token: tok['opA.admin'] })).body.data.roles as { id: string; code: string }[];
    const id = (c: string) => roles.find((r) => r.code === c)!.id;
    const ASSIGN = 'mutation($u: ID!, $r: [ID!]!) { assignRoles(userId: $u, roleIds: $r) { user { id } userErrors { code } } }';
    const superAdmin = await h.gql(ASSIGN, { token: tok['opA.admin'], variables: { u: userId, r: [id('SUPER_ADMIN')] } });
    expect(superAdmin.body.data.assignRoles.userErrors[0].code).toBe('GRANT_NOT_ALLOWED');
    const viewer = await h.gql(ASSIGN, { token: tok['opA.viewer'], variables: { u: userId, r: [id('VIEWER')] } });
    expect(viewer.body.errors[0].extensions.code).toBe('FORBIDDEN');
    const ok = await h.gql(ASSIGN, { token: tok['opA.admin'], variables: { u: userId, r: [id('VIEWER')] } });
    expect(ok.body.data.assignRoles.userErrors).toEqual([]);
    const u = await h.gql('query($id: ID!) { user(id: $id) { roles { code } } }', { token: tok['opA.admin'], variables: { id: userId } });
    expect(u.body.data.user.roles).toEqual([{ code: 'VIEWER' }]);
    // a user of another tenant is unknown here
    const foreign = await h.gql(ASSIGN, { token: tok['opB.admin'], variables: { u: userId, r: [id('VIEWER')] } });
    expect(foreign.body.data.assignRoles.userErrors[0].code).toBe('NOT_FOUND');
  });

  it('audit log: audit:read required; an operator sees its partners’ events but a partner never its parent’s', async () => {
    const viewer = await h.gql('{ auditEvents { edges { cursor } } }', { token: tok['opA.viewer'] });
    expect(viewer.body.errors[0].extensions.code).toBe('FORBIDDEN');
    const op = await h.gql('{ auditEvents(first: 500) { edges { node { tenantId } } } }', { token: tok['opA.admin'] });
    const tenants = new Set(op.body.data.auditEvents.edges.map((e: { node: { tenantId: string } }) => e.node.tenantId));
    expect([...tenants].every((t) => ([s.ids.opA, s.ids.partnerA1, s.ids.partnerA2] as string[]).includes(t as string))).toBe(true);
    expect(tenants.has(s.ids.partnerA1)).toBe(true);
    const partner = await h.gql('{ auditEvents(first: 500) { edges { node { tenantId } } } }', { token: tok['partnerA1.admin'] });
    expect(new Set(partner.body.data.auditEvents.edges.map((e: { node: { tenantId: string } }) => e.node.tenantId))).toEqual(new Set([s.ids.partnerA1]));
  });

  it('assumeTenant: platform admins only, with a reason, TENANT-scoped, no cross-tenant powers, audited in both tenants', async () => {
    const ASSUME = 'mutation($t: ID!, $r: String!) { assumeTenant(tenantId: $t, reason: $r) { accessToken tenant { id } userErrors { code field } } }';
    const denied = await h.gql(ASSUME, { token: tok['opA.admin'], variables: { t: s.ids.partnerA1, r: 'support ticket 42' } });
    expect(denied.body.errors[0].extensions.code).toBe('FORBIDDEN');
    const noReason = await h.gql(ASSUME, { token: tok['platform.admin'], variables: { t: s.ids.opA, r: 'x' } });
    expect(noReason.body.data.assumeTenant.userErrors).toEqual([{ code: 'INVALID_INPUT', field: 'reason' }]);
    const r = await h.gql(ASSUME, { token: tok['platform.admin'], variables: { t: s.ids.opA, r: 'support ticket 42: tariff check' } });
    expect(r.body.data.assumeTenant.userErrors).toEqual([]);
    const id = await h.clientVerifier.verify(r.body.data.assumeTenant.accessToken);
    expect(id).toMatchObject({ tenantId: s.ids.opA, dataScope: 'TENANT', visibleTenantIds: [s.ids.opA], actor: { tenantId: s.ids.platform } });
    expect(id.permissions).not.toContain('platform:cross-tenant');
    expect(id.permissions).not.toContain('event:replay');
    // chaining is refused
    const chained = await h.gql(ASSUME, { token: await h.router.issue(id), variables: { t: s.ids.partnerA1, r: 'chaining attempt here' } });
    expect(chained.body.errors[0].extensions.code).toBe('FORBIDDEN');
    const me = await h.gql('{ me { tenantId user { id } actor { tenantId } } }', { token: await h.router.issue(id) });
    expect(me.body.data.me).toEqual({ tenantId: s.ids.opA, user: null, actor: { tenantId: s.ids.platform } });
    const opLog = await h.gql('{ auditEvents(filter: { types: ["TENANT_ASSUMED"] }) { edges { node { actorTenantId details } } } }', {
      token: tok['opA.admin'],
    });
    expect(opLog.body.data.auditEvents.edges[0].node).toMatchObject({ actorTenantId: s.ids.platform, details: { reason: 'support ticket 42: tariff check' } });
  });

  it('event:replay (dead letters) is held by the platform administrator, not by operator administrators or viewers', async () => {
    const perms = async (k: string) => (await h.login(s.codes[k as keyof typeof s.codes], 'admin', PASSWORD)).identity.permissions;
    expect(await perms('platform')).toContain('event:replay');
    for (const k of ['opA', 'opB', 'partnerA1']) expect(await perms(k)).not.toContain('event:replay');
    expect((await h.login(s.codes.platform, 'viewer', PASSWORD)).identity.permissions).not.toContain('event:replay');
    // and an operator cannot hand it out in a role of its own: it holds no event:replay
    const role = await h.gql('mutation($i: CreateRoleInput!) { createRole(input: $i) { role { id } userErrors { code } } }', {
      token: tok['opA.admin'],
      variables: { i: { code: 'REPLAYER', name: 'Replayer', permissions: ['event:replay'], dataScope: 'TENANT' } },
    });
    expect(role.body.data.createRole.role).toBeNull();
    expect(role.body.data.createRole.userErrors.length).toBeGreaterThan(0);
  });

  it('tenantQuotas is for services only', async () => {
    const Q = 'query($t: ID!) { tenantQuotas(tenantId: $t) { tenantId maxUsers maxStations } }';
    const svc = await h.gql(Q, { token: await h.serviceToken(), variables: { t: s.ids.opB } });
    expect(svc.body.data.tenantQuotas).toEqual({ tenantId: s.ids.opB, maxUsers: 5, maxStations: null });
    const user = await h.gql(Q, { token: tok['opB.admin'], variables: { t: s.ids.opB } });
    expect(user.body.errors[0].extensions.code).toBe('FORBIDDEN');
  });

  it('a token without a tenant gets TENANT_CONTEXT_MISSING', async () => {
    const t = await h.router.issue({ subject: 'x', kind: 'user', tenantId: null, roles: [], permissions: ['user:read'], dataScope: 'TENANT' });
    const r = await h.gql('{ users { edges { cursor } } }', { token: t });
    expect(r.body.errors[0].extensions.code).toBe('TENANT_CONTEXT_MISSING');
  });
});
