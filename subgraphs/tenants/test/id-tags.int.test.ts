import { seedIdTags } from '../src';
import { Harness, PASSWORD, seedHierarchy, startHarness } from './harness';

const CREATE = 'mutation($i: CreateIdTagInput!) { createIdTag(input: $i) { idTag { id value status userId expiresAt } userErrors { code field message } } }';
const UPDATE = 'mutation($i: UpdateIdTagInput!) { updateIdTag(input: $i) { idTag { value status userId parentIdTag } userErrors { code field message } } }';
const IMPORT = 'mutation($i: ImportIdTagsInput!) { importIdTags(input: $i) { created updated unchanged userErrors { code field message } } }';
const AUTHORIZE =
  'query($t: ID!, $v: String!, $s: ID) { authorizeIdTag(tenantId: $t, idTag: $v, stationId: $s) { status expiryDate parentIdTag userId freeVending } }';

describe('tenants: the id-token authority (GraphQL, Postgres, audit, outbox)', () => {
  let h: Harness;
  let s: Awaited<ReturnType<typeof seedHierarchy>>;
  const tok: Record<string, string> = {};
  let managerId: string;

  beforeAll(async () => {
    h = await startHarness();
    s = await seedHierarchy(h);
    for (const k of ['opA', 'opB'] as const) {
      tok[`${k}.admin`] = (await h.login(s.codes[k], 'admin', PASSWORD)).internal;
      tok[`${k}.viewer`] = (await h.login(s.codes[k], 'viewer', PASSWORD)).internal;
    }
    const manager = await h.login(s.codes.opA, 'manager', PASSWORD);
    managerId = manager.identity.subject;
    tok['opA.manager'] = manager.internal;
  });
  afterAll(async () => h?.stop());

  const gql = async (token: string, query: string, variables?: Record<string, unknown>) => (await h.gql(query, { token, variables })).body;

  it('registers a tag for a user, refuses the same value in another case, and lets viewers read but not write', async () => {
    const created = await gql(tok['opA.admin'], CREATE, { i: { value: 'Card-0001', userId: managerId, expiresAt: '2030-01-01T00:00:00Z' } });
    expect(created.data.createIdTag).toMatchObject({ idTag: { value: 'Card-0001', status: 'ACCEPTED', userId: managerId }, userErrors: [] });
    const dup = await gql(tok['opA.admin'], CREATE, { i: { value: 'CARD-0001' } });
    expect(dup.data.createIdTag).toEqual({ idTag: null, userErrors: [expect.objectContaining({ code: 'DUPLICATE', field: 'value' })] });
    const foreignUser = await gql(tok['opB.admin'], CREATE, { i: { value: 'B-1', userId: managerId } });
    expect(foreignUser.data.createIdTag.userErrors).toEqual([expect.objectContaining({ code: 'NOT_FOUND', field: 'userId' })]);

    const read = await gql(tok['opA.viewer'], '{ idTag(value: "card-0001") { value userId } }');
    expect(read.data.idTag).toEqual({ value: 'Card-0001', userId: managerId });
    const write = await gql(tok['opA.viewer'], CREATE, { i: { value: 'V-1' } });
    expect(write.errors[0].extensions.code).toBe('FORBIDDEN');
    // Another tenant sees nothing of it; a station manager holds no idtag:read.
    expect((await gql(tok['opB.admin'], '{ idTag(value: "Card-0001") { value } }')).data.idTag).toBeNull();
    expect((await gql(tok['opA.manager'], '{ idTags { edges { node { value } } } }')).errors[0].extensions.code).toBe('FORBIDDEN');
  });

  it('imports all or nothing: every bad row is reported with its path, then a good file creates and updates', async () => {
    const bad = await gql(tok['opA.admin'], IMPORT, {
      i: {
        csv: 'value,status,userId\nGOOD-1,ACCEPTED,\nbad value,ACCEPTED,\nGOOD-2,LOST,\ngood-1,BLOCKED,\nGOOD-3,ACCEPTED,00000000-0000-4000-8000-000000000000\n',
      },
    });
    expect(bad.data.importIdTags.userErrors.map((e: { field: string; code: string }) => `${e.field}:${e.code}`)).toEqual([
      'rows[1].value:INVALID_INPUT',
      'rows[2].status:INVALID_INPUT',
      'rows[3].value:DUPLICATE',
    ]);
    const unknownUser = await gql(tok['opA.admin'], IMPORT, { i: { rows: [{ value: 'GOOD-3', userId: '00000000-0000-4000-8000-000000000000' }] } });
    expect(unknownUser.data.importIdTags.userErrors).toEqual([expect.objectContaining({ code: 'NOT_FOUND', field: 'rows[0].userId' })]);
    expect((await gql(tok['opA.admin'], '{ idTags(filter: { search: "good" }) { edges { node { value } } } }')).data.idTags.edges).toEqual([]);

    const good = await gql(tok['opA.admin'], IMPORT, {
      i: { csv: `value,status,userId\nGOOD-1,ACCEPTED,\nGOOD-2,BLOCKED,${managerId}\ncard-0001,BLOCKED,${managerId}\n` },
    });
    expect(good.data.importIdTags).toEqual({ created: 2, updated: 1, unchanged: 0, userErrors: [] });
    const again = await gql(tok['opA.admin'], IMPORT, { i: { rows: [{ value: 'GOOD-1' }] } });
    expect(again.data.importIdTags).toMatchObject({ created: 0, updated: 0, unchanged: 1 });

    const blocked = await gql(
      tok['opA.admin'],
      `query($u: ID) { idTags(filter: { status: BLOCKED, userId: $u }, first: 1) { edges { node { value } } pageInfo { hasNextPage endCursor } } }`,
      { u: managerId },
    );
    expect(blocked.data.idTags.edges.map((e: { node: { value: string } }) => e.node.value)).toEqual(['Card-0001']);
    const next = await gql(tok['opA.admin'], `query($a: String) { idTags(filter: { status: BLOCKED }, first: 5, after: $a) { edges { node { value } } } }`, {
      a: blocked.data.idTags.pageInfo.endCursor,
    });
    expect(next.data.idTags.edges.map((e: { node: { value: string } }) => e.node.value)).toEqual(['GOOD-2']);
    const back = await gql(tok['opA.admin'], `query($b: String) { idTags(filter: { status: BLOCKED }, last: 5, before: $b) { edges { node { value } } } }`, {
      b: (await gql(tok['opA.admin'], '{ idTags(filter: { status: BLOCKED }, last: 1) { pageInfo { startCursor } } }')).data.idTags.pageInfo.startCursor,
    });
    expect(back.data.idTags.edges.map((e: { node: { value: string } }) => e.node.value)).toEqual(['Card-0001']);

    const exported = await gql(tok['opA.admin'], '{ exportIdTags { csv count } }');
    expect(exported.data.exportIdTags.count).toBe(3);
    expect(exported.data.exportIdTags.csv.split('\r\n')[0]).toBe('value,status,expiresAt,parentIdTag,userId');
    expect(exported.data.exportIdTags.csv).toContain(`Card-0001,BLOCKED,2030-01-01T00:00:00.000Z,,${managerId}`);
  });

  it('audits every change with actor, target, before/after and request id; numbers them on the local-list version in the outbox', async () => {
    const up = await gql(tok['opA.admin'], UPDATE, { i: { value: 'GOOD-1', status: 'BLOCKED', parentIdTag: 'GROUP-1' } });
    expect(up.data.updateIdTag.idTag).toMatchObject({ status: 'BLOCKED', parentIdTag: 'GROUP-1' });
    const log = await gql(
      tok['opA.admin'],
      '{ auditEvents(filter: { types: ["ID_TAG_UPDATED"] }, first: 1) { edges { node { actorUserId details requestId } } } }',
    );
    const e = log.data.auditEvents.edges[0].node;
    expect(e.details).toMatchObject({
      value: 'GOOD-1',
      before: { status: 'ACCEPTED', parentIdTag: null },
      after: { status: 'BLOCKED', parentIdTag: 'GROUP-1' },
    });
    expect(e.actorUserId).toEqual(expect.any(String));
    expect(e.requestId).toEqual(expect.any(String));
    const exports = await gql(tok['opA.admin'], '{ auditEvents(filter: { types: ["ID_TAGS_EXPORTED", "ID_TAGS_IMPORTED"] }) { edges { node { type } } } }');
    expect(exports.data.auditEvents.edges.map((x: { node: { type: string } }) => x.node.type)).toEqual([
      'ID_TAGS_EXPORTED',
      'ID_TAGS_IMPORTED',
      'ID_TAGS_IMPORTED',
    ]);

    const { rows } = await h.owner.raw<{ rows: { payload: { data: { idTag: string; listVersion: number; entry: { status: string } | null } } }[] }>(
      "select payload from tenants.outbox where tenant_id = ? and topic = 'evcs.idtag-events.v1' order by seq",
      [s.ids.opA],
    );
    expect(rows.map((r) => r.payload.data.listVersion)).toEqual([1, 2, 3, 4, 5]);
    expect(rows.at(-1)!.payload.data).toMatchObject({ idTag: 'GOOD-1', entry: { status: 'Blocked', parentIdTag: 'GROUP-1' } });
    const del = await gql(tok['opA.admin'], 'mutation { deleteIdTag(value: "good-2") { idTag { value } userErrors { code } } }');
    expect(del.data.deleteIdTag.idTag.value).toBe('GOOD-2');
    const after = await h.owner.raw<{ rows: { payload: { data: { listVersion: number; entry: unknown } } }[] }>(
      "select payload from tenants.outbox where tenant_id = ? and topic = 'evcs.idtag-events.v1' order by seq desc limit 1",
      [s.ids.opA],
    );
    expect(after.rows[0].payload.data).toMatchObject({ listVersion: 6, entry: null });
  });

  it('answers chargers only for services: known, unknown, blocked, expired, free vending per station', async () => {
    const service = await h.serviceToken('evcs-bridge');
    const refused = await gql(tok['opA.admin'], AUTHORIZE, { t: s.ids.opA, v: 'Card-0001' });
    expect(refused.errors[0].extensions.code).toBe('FORBIDDEN');
    await gql(tok['opA.admin'], CREATE, { i: { value: 'OK-1', userId: managerId } });
    await gql(tok['opA.admin'], CREATE, { i: { value: 'OLD-1', expiresAt: new Date(h.clock.now().getTime() - 1000).toISOString() } });
    const ask = async (v: string, st?: string) => (await gql(service, AUTHORIZE, { t: s.ids.opA, v, s: st ?? null })).data.authorizeIdTag;
    expect(await ask('ok-1')).toMatchObject({ status: 'Accepted', userId: managerId, freeVending: false });
    expect(await ask('Card-0001')).toMatchObject({ status: 'Blocked' });
    expect(await ask('OLD-1')).toMatchObject({ status: 'Expired' });
    expect(await ask('NOBODY')).toMatchObject({ status: 'Invalid', userId: null });
    // Tags are the tenant's: another tenant's charger doesn't know them.
    expect((await gql(service, AUTHORIZE, { t: s.ids.opB, v: 'OK-1' })).data.authorizeIdTag.status).toBe('Invalid');

    const policy = await gql(
      tok['opA.admin'],
      'mutation($i: IdTagPolicyInput!) { setIdTagPolicy(input: $i) { policy { freeVending freeVendingStationIds } userErrors { code } } }',
      {
        i: { freeVending: true, freeVendingStationIds: [s.station] },
      },
    );
    expect(policy.data.setIdTagPolicy.policy).toEqual({ freeVending: true, freeVendingStationIds: [s.station] });
    expect(await ask('NOBODY', s.station)).toMatchObject({ status: 'Accepted', freeVending: true, userId: null });
    expect(await ask('NOBODY', '00000000-0000-4000-8000-000000000009')).toMatchObject({ status: 'Invalid' });
    expect(await ask('Card-0001', s.station)).toMatchObject({ status: 'Blocked' });

    const list = await gql(service, 'query($t: ID!) { localAuthList(tenantId: $t) { version entries { idTag status parentIdTag } } }', { t: s.ids.opA });
    expect(list.data.localAuthList.version).toBe(8);
    expect(list.data.localAuthList.entries.map((x: { idTag: string; status: string }) => `${x.idTag}:${x.status}`)).toEqual([
      'Card-0001:Blocked',
      'GOOD-1:Blocked',
      'OK-1:Accepted',
      'OLD-1:Accepted',
    ]);
  });

  it('demo seeding registers tags once and raises the list version, so chargers get them', async () => {
    const list = async () =>
      (await gql(await h.serviceToken('evcs-bridge'), 'query($t: ID!) { localAuthList(tenantId: $t) { version entries { idTag } } }', { t: s.ids.opB })).data
        .localAuthList;
    const before = await list();
    await seedIdTags(h.knex, s.ids.opB, ['SIM-TAG-1', 'SIM-TAG-2']);
    await seedIdTags(h.knex, s.ids.opB, ['sim-tag-1', 'SIM-TAG-2']);
    const after = await list();
    expect(after.version).toBe(before.version + 2);
    expect(after.entries.map((e: { idTag: string }) => e.idTag)).toEqual([...before.entries.map((e: { idTag: string }) => e.idTag), 'SIM-TAG-1', 'SIM-TAG-2']);
  });
});
