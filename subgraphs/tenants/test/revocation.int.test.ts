import { decodeJwt } from 'jose';
import {
  ACCESS_EVENTS_PARTITIONS,
  ACCESS_EVENTS_TOPIC,
  ACCESS_EVENTS_TOPIC_CONFIG,
  decodeAccessEvent,
  type AccessEvent,
  type AccessRevoked,
} from '@evcs/events';
import { createLogger, KafkaEventBus, kafkaNames, OutboxRelay, PgOutbox, type Subscription, withTenant } from '@evcs/platform';
import { ensureKafka, eventually, uniqueName } from '@evcs/testkit';
import { Harness, PASSWORD, seedHierarchy, startHarness } from './harness';

const REFRESH = 'mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken refreshToken userErrors { code } } }';
const ASSIGN_ROLES = 'mutation($u: ID!, $r: [ID!]!) { assignRoles(userId: $u, roleIds: $r) { user { id } userErrors { code } } }';
const iat = (token: string) => decodeJwt(token).iat!;
const rolesOf = (token: string) => decodeJwt(token).roles as string[];

/**
 * Changes to what an access token says revoke the user's outstanding tokens: an
 * access.revoked event in the tenants outbox, written in the same transaction,
 * with a cut-off above every token issued before and at or below every token
 * issued after (real Postgres; the relay test also real Kafka).
 */
describe('tenants: access revocation on role, permission, station and status changes', () => {
  let h: Harness;
  let s: Awaited<ReturnType<typeof seedHierarchy>>;
  let roleIds: Record<string, string>;

  beforeAll(async () => {
    h = await startHarness();
    s = await seedHierarchy(h);
    const admin = await h.login(s.codes.opA, 'admin', PASSWORD);
    const roles = (await h.gql('{ roles { id code } }', { token: admin.internal })).body.data.roles as { id: string; code: string }[];
    roleIds = Object.fromEntries(roles.map((r) => [r.code, r.id]));
  });
  afterAll(async () => h?.stop());

  /** The access.revoked events queued for a user, oldest first. */
  const revocations = (tenantId: string, userId: string): Promise<AccessRevoked[]> =>
    withTenant(h.knex, tenantId, async (trx) => {
      const rows = await trx('tenants.outbox').where({ tenant_id: tenantId }).whereRaw("payload->'data'->>'userId' = ?", [userId]).orderBy('seq');
      return rows.map((r: { payload: unknown }) => decodeAccessEvent(JSON.stringify(r.payload)) as AccessRevoked);
    });

  const assignRoles = async (adminInternal: string, userId: string, codes: string[]) => {
    const r = await h.gql(ASSIGN_ROLES, { token: adminInternal, variables: { u: userId, r: codes.map((c) => roleIds[c]) } });
    expect(r.body.errors).toBeUndefined();
    return r.body.data.assignRoles as { user: { id: string } | null; userErrors: { code: string }[] };
  };

  it('assigning other roles revokes the tokens the user holds; tokens issued afterwards carry the new roles, by login or by refresh', async () => {
    const admin = await h.login(s.codes.opA, 'admin', PASSWORD);
    const viewer = await h.login(s.codes.opA, 'viewer', PASSWORD);
    const userId = viewer.identity.subject;
    expect(await revocations(s.ids.opA, userId)).toEqual([]);

    expect((await assignRoles(admin.internal, userId, ['STATION_MANAGER'])).userErrors).toEqual([]);
    const [event] = await revocations(s.ids.opA, userId);
    expect(event).toMatchObject({ type: 'access.revoked', version: 1, tenantId: s.ids.opA, data: { userId, reason: 'ROLES_CHANGED' } });
    expect(iat(viewer.access)).toBeLessThan(event.data.issuedBefore);

    // the refresh token is still good, and what it yields reflects the change at once
    const refreshed = (await h.gql(REFRESH, { variables: { t: viewer.refresh } })).body.data.refreshToken;
    expect(refreshed.userErrors).toEqual([]);
    expect(rolesOf(refreshed.accessToken)).toEqual(['STATION_MANAGER']);
    expect(iat(refreshed.accessToken)).toBeGreaterThanOrEqual(event.data.issuedBefore);
    const again = await h.login(s.codes.opA, 'viewer', PASSWORD);
    expect(again.identity.roles).toEqual(['STATION_MANAGER']);
    expect(iat(again.access)).toBeGreaterThanOrEqual(event.data.issuedBefore);

    // the same roles again change nothing, and revoke nothing
    await assignRoles(admin.internal, userId, ['STATION_MANAGER']);
    expect(await revocations(s.ids.opA, userId)).toHaveLength(1);
  });

  it('a refused change revokes nothing', async () => {
    const admin = await h.login(s.codes.opA, 'admin', PASSWORD);
    const manager = await h.login(s.codes.opA, 'manager', PASSWORD);
    // an operator admin can't grant the platform administrator's role
    expect((await assignRoles(admin.internal, manager.identity.subject, ['PLATFORM_ADMIN'])).userErrors[0].code).toBe('GRANT_NOT_ALLOWED');
    expect(await revocations(s.ids.opA, manager.identity.subject)).toEqual([]);
  });

  it("changing a custom role's permissions or data scope revokes every holder of it, and nobody else", async () => {
    const admin = await h.login(s.codes.opB, 'admin', PASSWORD);
    const role = await h.gql('mutation($i: CreateRoleInput!) { createRole(input: $i) { role { id } userErrors { code } } }', {
      token: admin.internal,
      variables: { i: { code: 'NIGHT_DESK', name: 'Night desk', dataScope: 'TENANT', permissions: ['station:read'] } },
    });
    const roleId = role.body.data.createRole.role.id as string;
    const create = (username: string, roles: string[]) =>
      h.gql('mutation($i: CreateUserInput!) { createUser(input: $i) { user { id } userErrors { code } } }', {
        token: admin.internal,
        variables: { i: { username, password: PASSWORD, roleIds: roles } },
      });
    const holders = [
      (await create('night-1', [roleId])).body.data.createUser.user.id,
      (await create('night-2', [roleId])).body.data.createUser.user.id,
    ] as string[];
    const other = (await create('day-1', [roleIds.VIEWER])).body.data.createUser.user.id as string;
    const tokens = await Promise.all(['night-1', 'night-2'].map((u) => h.login(s.codes.opB, u, PASSWORD)));

    const up = await h.gql('mutation($r: ID!, $p: [String!]!) { updateRolePermissions(roleId: $r, permissions: $p) { userErrors { code } } }', {
      token: admin.internal,
      variables: { r: roleId, p: ['station:read', 'order:read'] },
    });
    expect(up.body.data.updateRolePermissions.userErrors).toEqual([]);
    for (const [i, userId] of holders.entries()) {
      const events = await revocations(s.ids.opB, userId);
      expect(events.map((e) => e.data.reason)).toEqual(['ROLE_CHANGED']);
      expect(iat(tokens[i].access)).toBeLessThan(events[0].data.issuedBefore);
    }
    expect(await revocations(s.ids.opB, other)).toEqual([]);
    expect((await h.login(s.codes.opB, 'night-1', PASSWORD)).identity.permissions).toEqual(['order:read', 'station:read']);

    await h.gql(
      'mutation($r: ID!, $p: [String!]!, $d: DataScope) { updateRolePermissions(roleId: $r, permissions: $p, dataScope: $d) { userErrors { code } } }',
      {
        token: admin.internal,
        variables: { r: roleId, p: ['station:read', 'order:read'], d: 'SELF' },
      },
    );
    for (const userId of holders) expect((await revocations(s.ids.opB, userId)).map((e) => e.data.reason)).toEqual(['ROLE_CHANGED', 'ROLE_CHANGED']);
    expect(await revocations(s.ids.opB, other)).toEqual([]);
  });

  it("changing a user's stations revokes that user's tokens", async () => {
    const admin = await h.login(s.codes.partnerA1, 'admin', PASSWORD);
    const manager = await h.login(s.codes.partnerA1, 'manager', PASSWORD);
    const r = await h.gql('mutation($u: ID!, $s: [ID!]!) { assignStations(userId: $u, stationIds: $s) { userErrors { code } } }', {
      token: admin.internal,
      variables: { u: manager.identity.subject, s: [] },
    });
    expect(r.body.data.assignStations.userErrors).toEqual([]);
    const events = await revocations(s.ids.partnerA1, manager.identity.subject);
    expect(events.map((e) => e.data.reason)).toEqual(['STATIONS_CHANGED']);
    expect(iat(manager.access)).toBeLessThan(events[0].data.issuedBefore);
    expect((await h.login(s.codes.partnerA1, 'manager', PASSWORD)).identity.stationIds).toEqual([]);
  });

  it('disabling a user refuses their sign-ins and refreshes and revokes their tokens; audited; enabling lets them in again', async () => {
    const SET_STATUS = 'mutation($u: ID!, $s: UserStatus!) { setUserStatus(userId: $u, status: $s) { user { id status } userErrors { code field } } }';
    const LOGIN = 'mutation($i: LoginInput!) { login(input: $i) { accessToken userErrors { code } } }';
    const admin = await h.login(s.codes.opB, 'admin', PASSWORD);
    // a user of its own: the other tests' users keep their revocation records
    const created = await h.gql('mutation($i: CreateUserInput!) { createUser(input: $i) { user { id } userErrors { code } } }', {
      token: admin.internal,
      variables: { i: { username: 'leaver', password: PASSWORD, roleIds: [roleIds.VIEWER] } },
    });
    expect(created.body.data.createUser.userErrors).toEqual([]);
    const viewer = await h.login(s.codes.opB, 'leaver', PASSWORD);
    const userId = viewer.identity.subject;
    // a viewer may not; nobody disables themselves
    const forbidden = await h.gql(SET_STATUS, { token: viewer.internal, variables: { u: userId, s: 'DISABLED' } });
    expect(forbidden.body.errors[0].extensions.code).toBe('FORBIDDEN');
    const self = await h.gql(SET_STATUS, { token: admin.internal, variables: { u: admin.identity.subject, s: 'DISABLED' } });
    expect(self.body.data.setUserStatus.userErrors).toEqual([{ code: 'NOT_ALLOWED', field: 'userId' }]);

    const off = await h.gql(SET_STATUS, { token: admin.internal, variables: { u: userId, s: 'DISABLED' } });
    expect(off.body.errors).toBeUndefined();
    expect(off.body.data.setUserStatus).toEqual({ user: { id: userId, status: 'DISABLED' }, userErrors: [] });
    const events = await revocations(s.ids.opB, userId);
    expect(events.map((e) => e.data.reason)).toEqual(['USER_DISABLED']);
    expect(iat(viewer.access)).toBeLessThan(events[0].data.issuedBefore);
    const login = await h.gql(LOGIN, { variables: { i: { tenantCode: s.codes.opB, username: 'leaver', password: PASSWORD } } });
    expect(login.body.data.login).toEqual({ accessToken: null, userErrors: [{ code: 'ACCOUNT_DISABLED' }] });
    const refresh = await h.gql(REFRESH, { variables: { t: viewer.refresh } });
    expect(refresh.body.data.refreshToken.accessToken).toBeNull();
    const audit = await h.gql('{ auditEvents(first: 20, filter: { types: ["USER_DISABLED"] }) { edges { node { details } } } }', { token: admin.internal });
    expect(audit.body.data.auditEvents.edges.map((e: { node: { details: unknown } }) => e.node.details)).toContainEqual({ userId, username: 'leaver' });
    // from another tenant the user is unknown
    const opA = await h.login(s.codes.opA, 'admin', PASSWORD);
    const foreign = await h.gql(SET_STATUS, { token: opA.internal, variables: { u: userId, s: 'ACTIVE' } });
    expect(foreign.body.data.setUserStatus.userErrors).toEqual([{ code: 'NOT_FOUND', field: 'userId' }]);

    const on = await h.gql(SET_STATUS, { token: admin.internal, variables: { u: userId, s: 'ACTIVE' } });
    expect(on.body.data.setUserStatus.user.status).toBe('ACTIVE');
    expect((await h.login(s.codes.opB, 'leaver', PASSWORD)).identity.subject).toBe(userId);
  });

  it('suspending a tenant revokes every user of it, and no one above it', async () => {
    const platform = await h.login(s.codes.platform, 'admin', PASSWORD);
    const users = await withTenant(h.knex, s.ids.partnerA2, (trx) => trx('tenants.users').where({ tenant_id: s.ids.partnerA2 }).pluck('id'));
    const r = await h.gql('mutation($i: UpdateTenantInput!) { updateTenant(input: $i) { tenant { status } userErrors { code } } }', {
      token: platform.internal,
      variables: { i: { tenantId: s.ids.partnerA2, status: 'SUSPENDED' } },
    });
    expect(r.body.data.updateTenant).toEqual({ tenant: { status: 'SUSPENDED' }, userErrors: [] });
    expect(users).toHaveLength(3);
    for (const userId of users) expect((await revocations(s.ids.partnerA2, userId)).map((e) => e.data.reason)).toEqual(['TENANT_SUSPENDED']);
    expect(await revocations(s.ids.platform, platform.identity.subject)).toEqual([]);
  });

  it("a reused refresh token revokes the user's access tokens too", async () => {
    const viewer = await h.login(s.codes.opB, 'viewer', PASSWORD);
    const first = (await h.gql(REFRESH, { variables: { t: viewer.refresh } })).body.data.refreshToken;
    expect(first.userErrors).toEqual([]);
    const reuse = (await h.gql(REFRESH, { variables: { t: viewer.refresh } })).body.data.refreshToken;
    expect(reuse.userErrors[0].code).toBe('TOKEN_REUSED');
    const events = await revocations(s.ids.opB, viewer.identity.subject);
    expect(events.map((e) => e.data.reason)).toEqual(['REFRESH_TOKEN_REUSED']);
    expect(iat(first.accessToken)).toBeLessThan(events[0].data.issuedBefore);
  });

  it('tokens issued while roles change are either revoked by the change or carry the new roles (concurrent refreshes)', async () => {
    const admin = await h.login(s.codes.opB, 'admin', PASSWORD);
    const { identity } = await h.login(s.codes.opB, 'manager', PASSWORD);
    let refreshTokens = await Promise.all(Array.from({ length: 10 }, async () => (await h.login(s.codes.opB, 'manager', PASSWORD)).refresh));
    for (const target of [['VIEWER'], ['STATION_MANAGER'], ['VIEWER']]) {
      const before = (await revocations(s.ids.opB, identity.subject)).length;
      const [, ...refreshed] = await Promise.all([
        assignRoles(admin.internal, identity.subject, target),
        // spread out, so that some refreshes land before the change, some during and some after it
        ...refreshTokens.map(async (t, i) => {
          await new Promise((r) => setTimeout(r, i * 8));
          return (await h.gql(REFRESH, { variables: { t } })).body.data.refreshToken as { accessToken: string; refreshToken: string };
        }),
      ]);
      const events = await revocations(s.ids.opB, identity.subject);
      expect(events).toHaveLength(before + 1);
      const cutoff = events[events.length - 1].data.issuedBefore;
      for (const r of refreshed) {
        const t = r.accessToken;
        expect({ revoked: iat(t) < cutoff, roles: rolesOf(t) }).toEqual(
          iat(t) < cutoff ? { revoked: true, roles: rolesOf(t) } : { revoked: false, roles: target },
        );
      }
      refreshTokens = refreshed.map((r) => r.refreshToken);
    }
  });

  describe('the relay (real Kafka)', () => {
    let bus: KafkaEventBus;
    let sub: Subscription | undefined;

    beforeAll(async () => {
      bus = new KafkaEventBus({
        clientId: uniqueName('tenants-relay-test'),
        brokers: await ensureKafka(),
        logger: createLogger('relay-test', { level: 'silent' }),
      });
    });
    afterAll(async () => {
      await sub?.stop();
      await bus?.close();
    });

    it('publishes every queued event to the namespaced topic, keyed by user, and marks it published', async () => {
      const names = kafkaNames(uniqueName('tenants_relay'));
      const topic = names.topic(ACCESS_EVENTS_TOPIC);
      await bus.ensureTopics([{ topic, partitions: ACCESS_EVENTS_PARTITIONS, config: ACCESS_EVENTS_TOPIC_CONFIG }]);
      const outbox = new PgOutbox(h.knex, 'tenants');
      const pending = await outbox.pending(1000);
      expect(pending.length).toBeGreaterThan(0);

      const relay = new OutboxRelay({ outbox, bus, names, logger: createLogger('relay-test', { level: 'silent' }) });
      expect(await relay.runOnce()).toBe(pending.length);
      expect(await outbox.pending(1000)).toEqual([]);
      expect(await relay.runOnce()).toBe(0);

      const received: { key: string | null; event: AccessEvent }[] = [];
      sub = await bus.subscribe({
        groupId: uniqueName('relay-test'),
        topics: [topic],
        replay: true,
        handleBatch: async (ms) => void received.push(...ms.map((m) => ({ key: m.key, event: decodeAccessEvent(m.value) }))),
      });
      await sub.caughtUp;
      expect(received.map((r) => r.event.id).sort()).toEqual(pending.map((p) => p.id).sort());
      for (const r of received) expect(r.key).toBe(r.event.data.userId);
    });

    it('a started relay creates its topic, then publishes a change within moments', async () => {
      const names = kafkaNames(uniqueName('tenants_relay_live'));
      const topic = names.topic(ACCESS_EVENTS_TOPIC);
      const relay = new OutboxRelay({
        outbox: new PgOutbox(h.knex, 'tenants'),
        bus,
        names,
        logger: createLogger('relay-test', { level: 'silent' }),
        idleMs: 50,
        prepare: () => bus.ensureTopics([{ topic, partitions: ACCESS_EVENTS_PARTITIONS, config: ACCESS_EVENTS_TOPIC_CONFIG }]),
      });
      relay.start();
      const received: AccessEvent[] = [];
      // the subscription waits for the topic the relay creates
      const live = await bus.subscribe({
        groupId: uniqueName('relay-live'),
        topics: [topic],
        replay: true,
        handleBatch: async (ms) => void received.push(...ms.map((m) => decodeAccessEvent(m.value))),
      });
      try {
        await live.caughtUp;
        const admin = await h.login(s.codes.opA, 'admin', PASSWORD);
        const manager = await h.login(s.codes.opA, 'manager', PASSWORD);
        await assignRoles(admin.internal, manager.identity.subject, ['VIEWER']);
        const event = await eventually(async () => received.find((e) => e.data.userId === manager.identity.subject), { what: 'the revocation on Kafka' });
        expect(event.data.reason).toBe('ROLES_CHANGED');
      } finally {
        await relay.stop();
        await live.stop();
      }
    });
  });
});
