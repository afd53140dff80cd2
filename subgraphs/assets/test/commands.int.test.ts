import { randomUUID } from 'node:crypto';
import { decodeChargerCommand, decodeChargerCommandUpdate, encodeChargerEvent, type ChargerEvent } from '@evcs/events';
import { withTenant } from '@evcs/platform';
import { COMMAND_DELIVERY_MS, COMMAND_ANSWER_MS, COMMAND_RESULT_GRACE_MS, CommandService } from '../src/domain/commands';
import { commandEventsHandler } from '../src/events/command-consumer';
import { PgCommandStore } from '../src/persistence/command-store';
import { startHarness, type Harness } from './harness';

/**
 * Charger commands in assets against real Postgres: the mutation writes the command and its
 * outbox message once per idempotency key; the bridge's command.sent / command.result move it
 * on (applied by the consumer's handler, as Kafka would hand them over); the sweeper times out
 * what got no result; every change enqueues its update; reads honour charger:command.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});

const CREATE_STATION = `mutation($input: CreateStationInput!) { createStation(input: $input) { station { id } userErrors { code } } }`;
const CREATE_CHARGER = `mutation($input: CreateChargerInput!) { createCharger(input: $input) { charger { id code } userErrors { code } } }`;
const FIELDS = 'id chargerId type status reason params response idempotencyKey requestedBy requestId sentAt completedAt deadlineAt';
const RESET = `mutation($i: ResetChargerInput!) { resetCharger(input: $i) { command { ${FIELDS} } userErrors { code field message } } }`;
const GET_CONF = `mutation($i: GetConfigurationInput!) { getChargerConfiguration(input: $i) { command { ${FIELDS} } userErrors { code field } } }`;
const SYNC = `mutation($i: ChargerCommandInput!) { syncChargerTime(input: $i) { command { id } userErrors { code field } } }`;
const CHARGER = `query($id: ID!) { charger(id: $id) { commands(first: 2) { edges { node { id status } } pageInfo { hasNextPage endCursor } } configuration { keys { key value readonly } unknownKeys commandId takenAt } } }`;
const CHARGER_AFTER = `query($id: ID!, $after: String) { charger(id: $id) { commands(first: 2, after: $after) { edges { node { id } } pageInfo { hasNextPage } } } }`;

const COMMANDER = { permissions: ['station:read', 'station:write', 'charger:command'] as const };

async function aCharger(tenantId: string, protocol: 'OCPP16' | 'YKC' = 'OCPP16') {
  const token = await h.token(tenantId);
  const st = await h.gql(CREATE_STATION, token, { input: { code: `ST-${randomUUID().slice(0, 6)}`, name: 'Depot' } });
  const stationId = st.body.data.createStation.station.id as string;
  const code = protocol === 'YKC' ? String(Date.now()).padStart(14, '3').slice(-14) : `CP-${randomUUID().slice(0, 8)}`;
  const c = await h.gql(CREATE_CHARGER, token, { input: { stationId, code, protocol, currentType: 'DC', ratedPowerKw: '60' } });
  expect(c.body.data.createCharger.userErrors).toEqual([]);
  return { ...(c.body.data.createCharger.charger as { id: string; code: string }), stationId };
}

const outboxOf = (tenantId: string) =>
  withTenant(h.knex, tenantId, (trx) =>
    trx('outbox').where({ tenant_id: tenantId }).orderBy('seq').select<{ topic: string; payload: unknown }[]>('topic', 'payload'),
  );
const updatesOf = async (tenantId: string) =>
  (await outboxOf(tenantId)).filter((r) => r.topic === 'evcs.charger-command-updates.v1').map((r) => decodeChargerCommandUpdate(JSON.stringify(r.payload)));

function event(tenantId: string, chargerId: string, type: 'command.sent' | 'command.result' | 'session.started', data: Record<string, unknown>): ChargerEvent {
  const at = new Date().toISOString();
  return {
    id: randomUUID(),
    version: 1,
    tenantId,
    chargerId,
    occurredAt: at,
    receivedAt: at,
    source: { protocol: 'OCPP16', bridgeId: 'b1' },
    type,
    data,
  } as ChargerEvent;
}
const deliver = async (service: CommandService, ...events: ChargerEvent[]) =>
  commandEventsHandler(service)(
    events.map((e, i) => {
      const enc = encodeChargerEvent(e);
      return { topic: 't', partition: 0, offset: String(i), key: enc.key, value: Buffer.from(enc.value), headers: enc.headers, timestamp: '0' };
    }),
  );

describe('charger commands', () => {
  it('writes the command and its message once per idempotency key, with who asked', async () => {
    const t = h.tenant();
    const cp = await aCharger(t);
    const token = await h.token(t, { subject: 'u-cora', ...COMMANDER, permissions: [...COMMANDER.permissions] });
    const input = { chargerId: cp.id, idempotencyKey: 'reset-1', kind: 'HARD' };
    const first = await h.gql(RESET, token, { i: input });
    expect(first.body.data.resetCharger).toMatchObject({
      userErrors: [],
      command: { chargerId: cp.id, type: 'RESET', status: 'PENDING', params: { kind: 'Hard' }, requestedBy: 'u-cora', idempotencyKey: 'reset-1' },
    });
    const again = await h.gql(RESET, token, { i: input });
    expect(again.body.data.resetCharger.command.id).toBe(first.body.data.resetCharger.command.id);
    // a key reused for another command is the client's mistake, said so
    const other = await h.gql(SYNC, token, { i: { chargerId: cp.id, idempotencyKey: 'reset-1' } });
    expect(other.body.data.syncChargerTime.userErrors[0].code).toMatch(/IDEMPOTENCY_KEY_REUSED|NOT_SUPPORTED/);

    const rows = await outboxOf(t);
    const commands = rows.filter((r) => r.topic === 'evcs.charger-commands.v1').map((r) => decodeChargerCommand(JSON.stringify(r.payload)));
    expect(commands).toHaveLength(1);
    expect(commands[0]).toMatchObject({
      id: first.body.data.resetCharger.command.id,
      chargerId: cp.code,
      tenantId: t,
      reportSent: true,
      command: { type: 'charger.reset', kind: 'Hard' },
    });
    expect(Date.parse(commands[0].expiresAt!) - Date.parse(commands[0].issuedAt)).toBe(COMMAND_DELIVERY_MS);
    expect((await updatesOf(t)).map((u) => u.status)).toEqual(['PENDING']);
  });

  it('PENDING → SENT → ACCEPTED from the bridge’s events; a replay or a late duplicate changes nothing; GetConfiguration becomes the snapshot', async () => {
    const t = h.tenant();
    const cp = await aCharger(t);
    const token = await h.token(t, { permissions: [...COMMANDER.permissions] });
    const r = await h.gql(GET_CONF, token, { i: { chargerId: cp.id, idempotencyKey: 'gc-1' } });
    const id = r.body.data.getChargerConfiguration.command.id as string;
    const service = new CommandService(new PgCommandStore(h.knex, randomUUID), randomUUID);
    const sent = event(t, cp.code, 'command.sent', { commandId: id, command: 'config.get' });
    const response = { configurationKey: [{ key: 'HeartbeatInterval', readonly: false, value: '300' }, { key: 'Odd' }], unknownKey: ['Nope'] };
    const result = event(t, cp.code, 'command.result', { commandId: id, command: 'config.get', status: 'ACCEPTED', response });
    // orders' commands come back on the same topic: not ours, nothing happens
    const foreign = event(t, cp.code, 'command.result', { commandId: randomUUID(), command: 'session.start', status: 'ACCEPTED' });
    await deliver(service, sent, foreign, result, sent, result);

    const q = await h.gql(CHARGER, token, { id: cp.id });
    expect(q.body.data.charger.commands.edges).toEqual([{ node: { id, status: 'ACCEPTED' } }]);
    expect(q.body.data.charger.configuration).toMatchObject({
      keys: [
        { key: 'HeartbeatInterval', value: '300', readonly: false },
        { key: 'Odd', value: null, readonly: false },
      ],
      unknownKeys: ['Nope'],
      commandId: id,
    });
    expect((await updatesOf(t)).map((u) => u.status)).toEqual(['PENDING', 'SENT', 'ACCEPTED']);
  });

  it("orders' session starts and stops come back on the same topic: skipped without a statement", async () => {
    const t = h.tenant();
    const cp = await aCharger(t);
    const service = new CommandService(new PgCommandStore(h.knex, randomUUID), randomUUID);
    const statements: string[] = [];
    const count = (q: { sql: string }) => statements.push(q.sql);
    h.knex.on('query', count);
    try {
      await deliver(
        service,
        event(t, cp.code, 'command.sent', { commandId: randomUUID(), command: 'session.start' }),
        event(t, cp.code, 'command.result', { commandId: randomUUID(), command: 'session.start', status: 'FAILED', reason: 'CHARGER_OFFLINE' }),
        event(t, cp.code, 'command.result', { commandId: randomUUID(), command: 'session.stop', status: 'ACCEPTED' }),
      );
    } finally {
      h.knex.off('query', count);
    }
    expect(statements).toEqual([]);
    // one of assets' own types is still looked up
    h.knex.on('query', count);
    try {
      await deliver(service, event(t, cp.code, 'command.result', { commandId: randomUUID(), command: 'charger.reset', status: 'ACCEPTED' }));
    } finally {
      h.knex.off('query', count);
    }
    expect(statements.length).toBeGreaterThan(0);
  });

  it('a result the bridge never sends: TIMED_OUT by the sweeper after the deadline, and final', async () => {
    const t = h.tenant();
    const cp = await aCharger(t);
    const token = await h.token(t, { permissions: [...COMMANDER.permissions] });
    const r = await h.gql(RESET, token, { i: { chargerId: cp.id, idempotencyKey: 'to-1' } });
    const cmd = r.body.data.resetCharger.command;
    expect(Date.parse(cmd.deadlineAt) - Date.now()).toBeGreaterThan(COMMAND_DELIVERY_MS + COMMAND_ANSWER_MS + COMMAND_RESULT_GRACE_MS - 10_000);
    const store = new PgCommandStore(h.knex, randomUUID);
    expect(await new CommandService(store, randomUUID).sweep()).toBe(0);
    const later = new CommandService(store, randomUUID, () => new Date(Date.parse(cmd.deadlineAt) + 1));
    expect(await later.sweep()).toBeGreaterThanOrEqual(1);
    await deliver(later, event(t, cp.code, 'command.result', { commandId: cmd.id, command: 'charger.reset', status: 'ACCEPTED' }));
    const q = await h.gql(CHARGER, token, { id: cp.id });
    expect(q.body.data.charger.commands.edges).toEqual([{ node: { id: cmd.id, status: 'TIMED_OUT' } }]);
    expect((await updatesOf(t)).map((u) => u.status)).toEqual(['PENDING', 'TIMED_OUT']);
  });

  it('refuses what the charger’s protocol has no message for, bad input, unknown chargers; pages newest first', async () => {
    const t = h.tenant();
    const cp = await aCharger(t);
    const token = await h.token(t, { permissions: [...COMMANDER.permissions] });
    const sync = await h.gql(SYNC, token, { i: { chargerId: cp.id, idempotencyKey: 's-1' } });
    expect(sync.body.data.syncChargerTime).toMatchObject({ command: null, userErrors: [{ code: 'NOT_SUPPORTED' }] });
    const unknown = await h.gql(RESET, token, { i: { chargerId: randomUUID(), idempotencyKey: 'u-1' } });
    expect(unknown.body.data.resetCharger.userErrors).toMatchObject([{ code: 'NOT_FOUND', field: 'chargerId' }]);
    const badKey = await h.gql(RESET, token, { i: { chargerId: cp.id, idempotencyKey: '' } });
    expect(badKey.body.data.resetCharger.userErrors).toMatchObject([{ code: 'INVALID', field: 'idempotencyKey' }]);
    const badConf = await h.gql(
      `mutation($i: ChangeConfigurationInput!) { changeChargerConfiguration(input: $i) { command { id } userErrors { code field } } }`,
      token,
      { i: { chargerId: cp.id, idempotencyKey: 'c-1', key: 'k'.repeat(51), value: 'v' } },
    );
    expect(badConf.body.data.changeChargerConfiguration.userErrors).toMatchObject([{ code: 'INVALID', field: 'input.key' }]);
    // another tenant's charger is not found
    const stranger = await h.token(h.tenant(), { permissions: [...COMMANDER.permissions] });
    const foreign = await h.gql(RESET, stranger, { i: { chargerId: cp.id, idempotencyKey: 'f-1' } });
    expect(foreign.body.data.resetCharger.userErrors).toMatchObject([{ code: 'NOT_FOUND' }]);

    const made: string[] = [];
    for (let i = 0; i < 3; i++) made.push((await h.gql(RESET, token, { i: { chargerId: cp.id, idempotencyKey: `p-${i}` } })).body.data.resetCharger.command.id);
    const page1 = await h.gql(CHARGER, token, { id: cp.id });
    const c = page1.body.data.charger.commands;
    expect(c.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual([made[2], made[1]]);
    expect(c.pageInfo.hasNextPage).toBe(true);
    const page2 = await h.gql(CHARGER_AFTER, token, { id: cp.id, after: c.pageInfo.endCursor });
    expect(page2.body.data.charger.commands).toEqual({ edges: [{ node: { id: made[0] } }], pageInfo: { hasNextPage: false } });
    // backwards from the oldest: the newer two, then nothing before them
    const back = await h.gql(
      `query($id: ID!, $before: String) { charger(id: $id) { commands(last: 2, before: $before) { edges { node { id } } pageInfo { hasPreviousPage hasNextPage } } } }`,
      token,
      { id: cp.id, before: c.pageInfo.endCursor },
    );
    expect(back.body.data.charger.commands).toEqual({ edges: [{ node: { id: made[2] } }], pageInfo: { hasPreviousPage: false, hasNextPage: true } });
    const byId = await h.gql(`query($id: ID!) { chargerCommand(id: $id) { id type } }`, token, { id: made[0] });
    expect(byId.body.data.chargerCommand).toEqual({ id: made[0], type: 'RESET' });
    const notMine = await h.gql(`query($id: ID!) { chargerCommand(id: $id) { id } }`, stranger, { id: made[0] });
    expect(notMine.body.data.chargerCommand).toBeNull();
  });

  it('YKC piles take time sync and working parameters; OCPP-only commands are refused', async () => {
    const t = h.tenant();
    const pile = await aCharger(t, 'YKC');
    const token = await h.token(t, { permissions: [...COMMANDER.permissions] });
    const sync = await h.gql(SYNC, token, { i: { chargerId: pile.id, idempotencyKey: 'y-1' } });
    expect(sync.body.data.syncChargerTime.userErrors).toEqual([]);
    const wp = await h.gql(`mutation($i: WorkingParametersInput!) { setYkcWorkingParameters(input: $i) { command { params } userErrors { code } } }`, token, {
      i: { chargerId: pile.id, idempotencyKey: 'y-2', enabled: false, maxOutputPercent: 50 },
    });
    expect(wp.body.data.setYkcWorkingParameters).toEqual({ command: { params: { enabled: false, maxOutputPercent: 50 } }, userErrors: [] });
    const gc = await h.gql(GET_CONF, token, { i: { chargerId: pile.id, idempotencyKey: 'y-3' } });
    expect(gc.body.data.getChargerConfiguration.userErrors).toMatchObject([{ code: 'NOT_SUPPORTED' }]);
  });

  it('needs charger:command: to send, to read commands and the configuration; a station manager only within its stations', async () => {
    const t = h.tenant();
    const cp = await aCharger(t);
    const plain = await h.token(t);
    const r = await h.gql(RESET, plain, { i: { chargerId: cp.id, idempotencyKey: 'n-1' } });
    expect(r.body.errors[0].extensions.code).toBe('FORBIDDEN');
    const q = await h.gql(`query($id: ID!) { charger(id: $id) { configuration { commandId } } }`, plain, { id: cp.id });
    expect(q.body.errors[0].extensions.code).toBe('FORBIDDEN');
    const manager = await h.token(t, { permissions: ['station:read', 'charger:command'], dataScope: 'ASSIGNED_STATIONS', stationIds: [randomUUID()] });
    const outside = await h.gql(RESET, manager, { i: { chargerId: cp.id, idempotencyKey: 'm-1' } });
    expect(outside.body.data.resetCharger.userErrors).toMatchObject([{ code: 'NOT_FOUND' }]);
    const mine = await h.token(t, { permissions: ['station:read', 'charger:command'], dataScope: 'ASSIGNED_STATIONS', stationIds: [cp.stationId] });
    const inside = await h.gql(RESET, mine, { i: { chargerId: cp.id, idempotencyKey: 'm-2' } });
    expect(inside.body.data.resetCharger.userErrors).toEqual([]);
  });

  it('reservations: accepted ones are on the charger until cancelled or expired; the expiry is bounded', async () => {
    const t = h.tenant();
    const cp = await aCharger(t);
    const token = await h.token(t, { permissions: [...COMMANDER.permissions] });
    const RESERVE = `mutation($i: ReserveConnectorInput!) { reserveConnector(input: $i) { command { id params } userErrors { code field } } }`;
    const CANCEL = `mutation($i: CancelReservationInput!) { cancelReservation(input: $i) { command { id } userErrors { code field } } }`;
    const LIST = `query($id: ID!) { charger(id: $id) { reservations { reservationId connectorNo idTag expiresAt commandId } } }`;
    const expiresAt = new Date(Date.now() + 3600_000).toISOString();
    const r = await h.gql(RESERVE, token, { i: { chargerId: cp.id, idempotencyKey: 'r-1', connectorNo: 1, idTag: 'TAG-1', expiresAt } });
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data.reserveConnector.userErrors).toEqual([]);
    const { id, params } = r.body.data.reserveConnector.command;
    expect(params).toMatchObject({ connectorId: 1, idTag: 'TAG-1', expiryDate: expiresAt });
    const service = new CommandService(new PgCommandStore(h.knex, randomUUID), randomUUID);
    expect((await h.gql(LIST, token, { id: cp.id })).body.data.charger.reservations).toEqual([]);
    await deliver(service, event(t, cp.code, 'command.result', { commandId: id, command: 'reservation.reserve', status: 'ACCEPTED' }));
    expect((await h.gql(LIST, token, { id: cp.id })).body.data.charger.reservations).toEqual([
      { reservationId: params.reservationId, connectorNo: 1, idTag: 'TAG-1', expiresAt, commandId: id },
    ]);
    const c = await h.gql(CANCEL, token, { i: { chargerId: cp.id, idempotencyKey: 'r-2', reservationId: params.reservationId } });
    await deliver(
      service,
      event(t, cp.code, 'command.result', { commandId: c.body.data.cancelReservation.command.id, command: 'reservation.cancel', status: 'ACCEPTED' }),
    );
    expect((await h.gql(LIST, token, { id: cp.id })).body.data.charger.reservations).toEqual([]);

    const past = await h.gql(RESERVE, token, {
      i: { chargerId: cp.id, idempotencyKey: 'r-3', connectorNo: 1, idTag: 'TAG-1', expiresAt: new Date(Date.now() - 1000).toISOString() },
    });
    expect(past.body.data.reserveConnector.userErrors).toEqual([{ code: 'INVALID', field: 'input.expiresAt' }]);
    const far = await h.gql(RESERVE, token, {
      i: { chargerId: cp.id, idempotencyKey: 'r-4', connectorNo: 1, idTag: 'TAG-1', expiresAt: new Date(Date.now() + 25 * 3600_000).toISOString() },
    });
    expect(far.body.data.reserveConnector.userErrors).toEqual([{ code: 'INVALID', field: 'input.expiresAt' }]);
    const longTag = await h.gql(RESERVE, token, { i: { chargerId: cp.id, idempotencyKey: 'r-5', connectorNo: 1, idTag: 'T'.repeat(21), expiresAt } });
    expect(longTag.body.data.reserveConnector.userErrors).toMatchObject([{ code: 'INVALID', field: 'input.idTag' }]);
  });

  it('reservations: a session that uses one up ends it before its expiry — by the reservation id the charger names, or by its id tag on its connector', async () => {
    const t = h.tenant();
    const cp = await aCharger(t);
    const token = await h.token(t, { permissions: [...COMMANDER.permissions] });
    const RESERVE = `mutation($i: ReserveConnectorInput!) { reserveConnector(input: $i) { command { id params } userErrors { code field } } }`;
    const LIST = `query($id: ID!) { charger(id: $id) { reservations { reservationId connectorNo idTag } } }`;
    const service = new CommandService(new PgCommandStore(h.knex, randomUUID), randomUUID);
    const expiresAt = new Date(Date.now() + 3600_000).toISOString();
    const reserve = async (key: string, connectorNo: number, idTag: string) => {
      const r = await h.gql(RESERVE, token, { i: { chargerId: cp.id, idempotencyKey: key, connectorNo, idTag, expiresAt } });
      expect(r.body.data.reserveConnector.userErrors).toEqual([]);
      const { id, params } = r.body.data.reserveConnector.command;
      await deliver(service, event(t, cp.code, 'command.result', { commandId: id, command: 'reservation.reserve', status: 'ACCEPTED' }));
      return { reservationId: params.reservationId as number, connectorNo, idTag };
    };
    const a = await reserve('u-1', 1, 'TAG-A');
    const b = await reserve('u-2', 2, 'TAG-B');
    // both expire at the same time, so the API's order between them is by command id (random): compared by connector
    const live = async () =>
      ((await h.gql(LIST, token, { id: cp.id })).body.data.charger.reservations as { connectorNo: number }[]).sort((x, y) => x.connectorNo - y.connectorNo);
    const started = (data: Record<string, unknown>) => event(t, cp.code, 'session.started', { startedAt: new Date().toISOString(), trigger: 'LOCAL', ...data });
    expect(await live()).toEqual([a, b]);

    // another id tag on the reserved connector, the reserved id tag on another connector: neither uses one up
    await deliver(service, started({ connectorId: 1, transactionId: '1', idTag: 'OTHER' }), started({ connectorId: 3, transactionId: '2', idTag: 'TAG-A' }));
    expect(await live()).toEqual([a, b]);
    // the reserved id tag (OCPP compares them case-insensitively) on its connector, the charger naming no reservation
    const byTag = started({ connectorId: 1, transactionId: '3', idTag: 'tag-a' });
    await deliver(service, byTag);
    expect(await live()).toEqual([b]);
    // the charger names the reservation: that one is used, whatever the tag
    await deliver(service, started({ connectorId: 2, transactionId: '4', idTag: 'PARENT-OF-B', reservationId: b.reservationId }));
    expect(await live()).toEqual([]);
    // a replay changes nothing: each kept with the session that used it
    await deliver(service, byTag);
    const used = await withTenant(h.knex, t, (trx) =>
      trx('charger_commands').where({ tenant_id: t, type: 'reservation.reserve' }).orderBy('reservation_used_by').select('reservation_used_by'),
    );
    expect(used.map((r: { reservation_used_by: string }) => r.reservation_used_by)).toEqual(['3', '4']);
  });
});
