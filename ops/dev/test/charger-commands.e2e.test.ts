import { randomUUID } from 'node:crypto';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { dropDatabase } from '@evcs/platform';
import { SimulatedChargePoint, SimulatedYkcPile } from '@evcs/protocol-bridge/dist/src/simulator';
import { registerFleet } from '@evcs/protocol-bridge/dist/src/simulator/register';
import { eventually, PG_SUPERUSER_URL, uniqueName } from '@evcs/testkit';
import { DemoTenant, Stack, startStack } from '../src/stack';

/**
 * Charger commands from the API, every service a real process: a mutation on the router →
 * assets (command row + outbox, one transaction) → Kafka command topic → the bridge → the
 * simulated OCPP charger / YKC pile → command.sent and command.result → assets' consumer →
 * the command's lifecycle, queryable on the charger and pushed by chargerCommandUpdated.
 */
describe('end to end: charger commands', () => {
  let stack: Stack;
  let cp: SimulatedChargePoint | undefined;
  let pile: SimulatedYkcPile | undefined;
  const clients: Client[] = [];
  const database = uniqueName('evcs_e2e_cmd');
  const OCPP = `E2E-CMD-${randomUUID().slice(0, 6)}`;
  const OFFLINE = `E2E-OFF-${randomUUID().slice(0, 6)}`;
  const REVOKED = `E2E-REV-${randomUUID().slice(0, 6)}`;
  const PILE = '33010000000077';
  const tenant: DemoTenant = {
    id: randomUUID(),
    code: uniqueName('op_cmd'),
    name: 'Commands Operator',
    users: [
      { username: 'cora', password: 'cora password 1', roles: ['OPERATOR_ADMIN'] },
      { username: 'vera', password: 'vera password 1', roles: ['VIEWER'] },
    ],
    stations: [
      {
        code: 'C-ST-1',
        name: 'Commands Station',
        chargers: [
          { code: OCPP, connectors: 2 },
          { code: OFFLINE, connectors: 1 },
          { code: REVOKED, connectors: 1 },
          { code: PILE, connectors: 2, protocol: 'YKC' },
        ],
      },
    ],
  };
  let token: string;
  const ids = new Map<string, string>();
  let passwords: Map<string, string>;

  beforeAll(async () => {
    stack = await startStack({ database, kafkaNamespace: uniqueName('e2e_cmd'), ports: 'ephemeral', quiet: true });
    await stack.seedTenant(tenant);
    token = (await stack.login(tenant.code, 'cora', 'cora password 1')).accessToken;
    const fleet = await registerFleet({
      routerUrl: stack.routerUrls[0],
      token,
      stationCode: tenant.stations[0].code,
      ocpp: [OCPP, OFFLINE, REVOKED],
      ykc: [{ pileNo: PILE, guns: 2 }],
      connectors: 2,
    });
    expect(fleet.refused).toEqual([]);
    passwords = fleet.passwords;
    cp = new SimulatedChargePoint({ url: stack.bridgeUrl, id: OCPP, password: passwords.get(OCPP) });
    await cp.connect();
    await cp.boot();
    pile = new SimulatedYkcPile({ ...stack.ykcAddress, pileNo: PILE, guns: 2 });
    await pile.connect();
    expect(await pile.login()).toBe(true);
    for (const code of [OCPP, OFFLINE, REVOKED, PILE]) {
      ids.set(code, (await gql(token, 'query($c: String!) { chargerByCode(code: $c) { id } }', { c: code })).data.chargerByCode.id);
    }
  });
  afterAll(async () => {
    for (const c of clients) void c.dispose();
    await cp?.close().catch(() => undefined);
    await pile?.close().catch(() => undefined);
    await stack?.stop();
    await dropDatabase(PG_SUPERUSER_URL, database);
  });

  async function gql(bearer: string, query: string, variables: Record<string, unknown> = {}, requestId?: string) {
    const res = await fetch(stack.routerUrls[0], {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}`, ...(requestId ? { 'x-request-id': requestId } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as any;
  }

  const FIELDS = 'id type status reason params response requestedBy requestId sentAt completedAt';
  async function send(mutation: string, inputType: string, input: Record<string, unknown>, requestId?: string) {
    const r = await gql(
      token,
      `mutation($i: ${inputType}!) { ${mutation}(input: $i) { command { ${FIELDS} } userErrors { code field message } } }`,
      { i: input },
      requestId,
    );
    if (r.errors) throw new Error(JSON.stringify(r.errors));
    return r.data[mutation] as { command: any; userErrors: { code: string; field: string | null; message: string }[] };
  }
  const commandById = async (id: string) => (await gql(token, `query($id: ID!) { chargerCommand(id: $id) { ${FIELDS} } }`, { id })).data.chargerCommand;
  const finished = (id: string, what: string) =>
    eventually(
      async () => {
        const c = await commandById(id);
        return c && !['PENDING', 'SENT'].includes(c.status) ? c : null;
      },
      { timeoutMs: 30_000, what },
    );

  function subscribe(chargerId: string): { received: { commandId: string; status: string; charger: { code: string } | null }[]; ready: Promise<void> } {
    const received: { commandId: string; status: string; charger: { code: string } | null }[] = [];
    const client = createClient({
      url: stack.routerUrls[0].replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      lazy: false,
    });
    clients.push(client);
    let opened!: () => void;
    const ready = new Promise<void>((r) => (opened = r));
    client.on('connected', () => opened());
    client.subscribe<{ chargerCommandUpdated: (typeof received)[number] }>(
      { query: 'subscription($id: ID) { chargerCommandUpdated(chargerId: $id) { commandId status charger { code } } }', variables: { id: chargerId } },
      {
        next: (msg) => {
          if (msg.data) received.push(msg.data.chargerCommandUpdated);
        },
        error: (e) => {
          throw new Error(`subscription error: ${JSON.stringify(e)}`);
        },
        complete: () => undefined,
      },
    );
    return { received, ready };
  }

  it('OCPP Reset: PENDING → SENT → ACCEPTED, pushed in order, once per idempotency key, audited with who asked', async () => {
    const sub = subscribe(ids.get(OCPP)!);
    await sub.ready;
    // the subscription's feed reads from the latest offset: give its consumer a moment to be placed
    await new Promise((r) => setTimeout(r, 1000));
    const input = { chargerId: ids.get(OCPP), idempotencyKey: `reset-${randomUUID()}`, kind: 'HARD' };
    const requestId = `req-${randomUUID()}`;
    const first = await send('resetCharger', 'ResetChargerInput', input, requestId);
    expect(first.userErrors).toEqual([]);
    expect(first.command).toMatchObject({ type: 'RESET', status: 'PENDING', params: { kind: 'Hard' }, requestId });
    // a client retry: the same command, nothing sent again
    const retry = await send('resetCharger', 'ResetChargerInput', input);
    expect(retry.command.id).toBe(first.command.id);

    const done = await finished(first.command.id, 'Reset ACCEPTED');
    expect(done).toMatchObject({ status: 'ACCEPTED', reason: null, response: { status: 'Accepted' } });
    expect(done.sentAt).not.toBeNull();
    expect(cp!.commandsReceived.filter((c) => c.action === 'Reset')).toEqual([{ action: 'Reset', params: { type: 'Hard' } }]);

    const mine = () => sub.received.filter((u) => u.commandId === first.command.id);
    await eventually(async () => mine().length >= 3, { timeoutMs: 15_000, what: 'three updates pushed' });
    expect(mine().map((u) => u.status)).toEqual(['PENDING', 'SENT', 'ACCEPTED']);
    expect(mine()[0].charger).toEqual({ code: OCPP });

    const page = await gql(token, 'query($id: ID!) { charger(id: $id) { commands(first: 5) { edges { node { id status } } pageInfo { hasNextPage } } } }', {
      id: ids.get(OCPP),
    });
    expect(page.data.charger.commands.edges.map((e: any) => e.node)).toContainEqual({ id: first.command.id, status: 'ACCEPTED' });

    const audit = await gql(token, '{ assetAuditLog(first: 20) { actor action target after requestId } }');
    const entry = audit.data.assetAuditLog.find((a: any) => a.action === 'CHARGER_COMMAND_REQUESTED' && a.after.commandId === first.command.id);
    expect(entry).toMatchObject({ target: `charger:${ids.get(OCPP)}`, requestId, actor: first.command.requestedBy });
  });

  it('every OCPP command reaches the charger as its action; GetConfiguration becomes the configuration snapshot; a refusal is REJECTED', async () => {
    const chargerId = ids.get(OCPP)!;
    const key = () => `k-${randomUUID()}`;
    const cases: [string, string, Record<string, unknown>, string, Record<string, unknown>][] = [
      ['unlockConnector', 'UnlockConnectorInput', { connectorNo: 1 }, 'UnlockConnector', { connectorId: 1 }],
      [
        'changeConnectorAvailability',
        'ChangeAvailabilityInput',
        { connectorNo: 2, available: false },
        'ChangeAvailability',
        { connectorId: 2, type: 'Inoperative' },
      ],
      [
        'changeChargerConfiguration',
        'ChangeConfigurationInput',
        { key: 'HeartbeatInterval', value: '120' },
        'ChangeConfiguration',
        { key: 'HeartbeatInterval', value: '120' },
      ],
      [
        'triggerChargerMessage',
        'TriggerMessageInput',
        { message: 'StatusNotification', connectorNo: 1 },
        'TriggerMessage',
        { requestedMessage: 'StatusNotification', connectorId: 1 },
      ],
      ['clearChargerCache', 'ChargerCommandInput', {}, 'ClearCache', {}],
    ];
    for (const [mutation, inputType, args, action, params] of cases) {
      const r = await send(mutation, inputType, { chargerId, idempotencyKey: key(), ...args });
      expect(r.userErrors).toEqual([]);
      expect(await finished(r.command.id, action)).toMatchObject({ status: 'ACCEPTED' });
      expect(cp!.commandsReceived.filter((c) => c.action === action).at(-1)).toEqual({ action, params });
    }

    const get = await send('getChargerConfiguration', 'GetConfigurationInput', { chargerId, idempotencyKey: key() });
    await finished(get.command.id, 'GetConfiguration');
    const conf = await gql(token, 'query($id: ID!) { charger(id: $id) { configuration { keys { key value readonly } unknownKeys commandId } } }', {
      id: chargerId,
    });
    expect(conf.data.charger.configuration).toEqual({
      keys: [{ key: 'HeartbeatInterval', value: '300', readonly: false }],
      unknownKeys: [],
      commandId: get.command.id,
    });

    const respond = cp!.respond;
    cp!.respond = (action, p) => (action === 'ChangeConfiguration' ? { status: 'Rejected' } : respond(action, p));
    try {
      const refused = await send('changeChargerConfiguration', 'ChangeConfigurationInput', {
        chargerId,
        idempotencyKey: key(),
        key: 'MeterValueSampleInterval',
        value: 'x',
      });
      expect(await finished(refused.command.id, 'a refused ChangeConfiguration')).toMatchObject({ status: 'REJECTED', reason: 'Rejected' });
    } finally {
      cp!.respond = respond;
    }
  });

  it('YKC: reboot (0x92), time sync (0x56) and working parameters (0x52) round trip; OCPP-only commands are refused before sending', async () => {
    const chargerId = ids.get(PILE)!;
    const reboot = await send('resetCharger', 'ResetChargerInput', { chargerId, idempotencyKey: `y-${randomUUID()}`, kind: 'SOFT' });
    expect(await finished(reboot.command.id, '0x92 reboot')).toMatchObject({ status: 'ACCEPTED' });
    expect(pile!.received.find((r) => r.type === 0x92)?.message).toEqual({ pileNo: PILE, when: 'idle' });

    const sync = await send('syncChargerTime', 'ChargerCommandInput', { chargerId, idempotencyKey: `y-${randomUUID()}` });
    const synced = await finished(sync.command.id, '0x56 time sync');
    expect(synced.status).toBe('ACCEPTED');
    expect(Math.abs(Date.parse(synced.response.pileTime) - Date.now())).toBeLessThan(60_000);

    const params = await send('setYkcWorkingParameters', 'WorkingParametersInput', {
      chargerId,
      idempotencyKey: `y-${randomUUID()}`,
      enabled: false,
      maxOutputPercent: 60,
    });
    expect(await finished(params.command.id, '0x52 working parameters')).toMatchObject({ status: 'ACCEPTED' });
    expect(pile!.workingParameters).toEqual({ enabled: false, maxOutputPercent: 60 });

    const unlock = await send('unlockConnector', 'UnlockConnectorInput', { chargerId, idempotencyKey: `y-${randomUUID()}`, connectorNo: 1 });
    expect(unlock).toMatchObject({ command: null, userErrors: [{ code: 'NOT_SUPPORTED' }] });
    const percent = await send('setYkcWorkingParameters', 'WorkingParametersInput', {
      chargerId,
      idempotencyKey: `y-${randomUUID()}`,
      enabled: true,
      maxOutputPercent: 10,
    });
    expect(percent).toMatchObject({ command: null, userErrors: [{ code: 'INVALID', field: 'input.maxOutputPercent' }] });
  });

  it('reservations: ReserveNow → the connector shows Reserved and takes only the reserved id tag; the reservation is on the charger until cancelled', async () => {
    const chargerId = ids.get(OCPP)!;
    const expiresAt = new Date(Date.now() + 30 * 60_000).toISOString();
    const r = await send('reserveConnector', 'ReserveConnectorInput', {
      chargerId,
      idempotencyKey: `r-${randomUUID()}`,
      connectorNo: 2,
      idTag: 'RES-TAG',
      expiresAt,
    });
    expect(r.userErrors).toEqual([]);
    expect(await finished(r.command.id, 'ReserveNow')).toMatchObject({ status: 'ACCEPTED' });
    const reservationId = r.command.params.reservationId;
    expect(cp!.commandsReceived.filter((c) => c.action === 'ReserveNow').at(-1)?.params).toEqual({
      connectorId: 2,
      idTag: 'RES-TAG',
      expiryDate: expiresAt,
      reservationId,
    });
    const CHARGER = 'query($id: ID!) { charger(id: $id) { connectors { connectorNo status } reservations { reservationId connectorNo idTag expiresAt } } }';
    const view = await eventually(
      async () => {
        const c = (await gql(token, CHARGER, { id: chargerId })).data.charger;
        return c.connectors.find((x: any) => x.connectorNo === 2)?.status === 'Reserved' ? c : null;
      },
      { timeoutMs: 15_000, what: 'connector 2 Reserved' },
    );
    expect(view.reservations).toEqual([{ reservationId, connectorNo: 2, idTag: 'RES-TAG', expiresAt }]);
    // a session started from the API on the reserved connector carries another id tag: the charger refuses it
    const started = await gql(token, 'mutation($i: StartChargingInput!) { startCharging(input: $i) { order { id } userErrors { code message } } }', {
      i: { chargerId, connectorNo: 2, idempotencyKey: `s-${randomUUID()}` },
    });
    expect(started.data.startCharging.userErrors).toEqual([]);
    const orderId = started.data.startCharging.order.id;
    await eventually(async () => (await gql(token, 'query($id: ID!) { order(id: $id) { state } }', { id: orderId })).data.order.state === 'FAILED', {
      timeoutMs: 30_000,
      what: 'the start on the reserved connector FAILED',
    });
    const remote = cp!.commandsReceived.filter((x) => x.action === 'RemoteStartTransaction').at(-1)!;
    expect(remote.params).toMatchObject({ connectorId: 2 });
    expect(remote.params.idTag).not.toBe('RES-TAG');
    expect(cp!.mayStart(2, 'RES-TAG')).toBe(true);

    const c = await send('cancelReservation', 'CancelReservationInput', { chargerId, idempotencyKey: `c-${randomUUID()}`, reservationId });
    expect(await finished(c.command.id, 'CancelReservation')).toMatchObject({ status: 'ACCEPTED' });
    await eventually(
      async () => {
        const v = (await gql(token, CHARGER, { id: chargerId })).data.charger;
        return v.reservations.length === 0 && v.connectors.find((x: any) => x.connectorNo === 2)?.status === 'Available';
      },
      { timeoutMs: 15_000, what: 'reservation gone, connector 2 Available' },
    );
  });

  it('reservations: a session the reserved id tag starts on the reserved connector uses the reservation up: gone from the charger before its expiry', async () => {
    const chargerId = ids.get(OCPP)!;
    const expiresAt = new Date(Date.now() + 30 * 60_000).toISOString();
    const r = await send('reserveConnector', 'ReserveConnectorInput', {
      chargerId,
      idempotencyKey: `r-${randomUUID()}`,
      connectorNo: 2,
      idTag: 'RES-USE',
      expiresAt,
    });
    expect(r.userErrors).toEqual([]);
    expect(await finished(r.command.id, 'ReserveNow')).toMatchObject({ status: 'ACCEPTED' });
    const reservationId = r.command.params.reservationId;
    const RESERVATIONS = 'query($id: ID!) { charger(id: $id) { reservations { reservationId connectorNo idTag } } }';
    await eventually(async () => (await gql(token, RESERVATIONS, { id: chargerId })).data.charger.reservations.length === 1, {
      timeoutMs: 15_000,
      what: 'the reservation on the charger',
    });
    // the driver with the reserved tag plugs in: StartTransaction names the reservation (bridge → Kafka → assets)
    const { transactionId } = await cp!.startTransaction(2, 'RES-USE', 0);
    await eventually(async () => (await gql(token, RESERVATIONS, { id: chargerId })).data.charger.reservations.length === 0, {
      timeoutMs: 30_000,
      what: `reservation ${reservationId} used up by the session`,
    });
    await cp!.stopTransaction(transactionId, 10, { idTag: 'RES-USE', reason: 'Local' });
  });

  it('firmware: UpdateFirmware is ACCEPTED, the charger reports Downloading … Installed and boots with the new version', async () => {
    const chargerId = ids.get(OCPP)!;
    const r = await send('updateChargerFirmware', 'UpdateFirmwareInput', {
      chargerId,
      idempotencyKey: `fw-${randomUUID()}`,
      location: 'https://fw.example.com/terra/2.1.0.bin',
      retrieveAt: new Date(Date.now() - 1000).toISOString().replace('Z', '+00:00'),
      retries: 2,
      retryIntervalSeconds: 30,
    });
    expect(r.userErrors).toEqual([]);
    expect(await finished(r.command.id, 'UpdateFirmware')).toMatchObject({ type: 'UPDATE_FIRMWARE', status: 'ACCEPTED', response: {} });
    expect(cp!.commandsReceived.filter((c) => c.action === 'UpdateFirmware')).toEqual([
      { action: 'UpdateFirmware', params: expect.objectContaining({ location: 'https://fw.example.com/terra/2.1.0.bin', retries: 2, retryInterval: 30 }) },
    ]);
    const firmware = await eventually(
      async () => {
        const f = (await gql(token, 'query($id: ID!) { charger(id: $id) { firmware { status updatedAt version } } }', { id: chargerId })).data.charger.firmware;
        return f.status === 'Installed' && f.version === 'sim-2.1.0' ? f : null;
      },
      { timeoutMs: 20_000, what: 'firmware Installed, version from the next boot' },
    );
    expect(firmware.updatedAt).not.toBeNull();
  });

  it('diagnostics: GetDiagnostics sends a one-time upload URL; the charger uploads the file to assets, which keeps it for the tenant', async () => {
    const chargerId = ids.get(OCPP)!;
    cp!.diagnosticsContent = Buffer.from(`diagnostics of ${OCPP}\n${'x'.repeat(70_000)}\n`);
    const r = await send('getChargerDiagnostics', 'GetDiagnosticsInput', {
      chargerId,
      idempotencyKey: `d-${randomUUID()}`,
      startTime: '2026-12-01T00:00:00Z',
    });
    expect(r.userErrors).toEqual([]);
    const { uploadId, location } = r.command.params as { uploadId: string; location: string };
    expect(Object.keys(r.command.params).sort()).toEqual(['location', 'startTime', 'uploadId']);
    expect(await finished(r.command.id, 'GetDiagnostics')).toMatchObject({ status: 'ACCEPTED', response: { fileName: `diagnostics-${OCPP}.log` } });
    // the charger got the URL with its token; the command (and so the API) never had it
    const sent = cp!.commandsReceived.find((c) => c.action === 'GetDiagnostics')!;
    const url = String(sent.params.location);
    expect(url).toMatch(new RegExp(`^${location}/[0-9a-f]{64}$`));
    expect(JSON.stringify(await commandById(r.command.id))).not.toContain(url.slice(-64));

    const view = await eventually(
      async () => {
        const c = (
          await gql(token, 'query($id: ID!) { charger(id: $id) { diagnostics { status } diagnosticsFiles { id fileName size sha256 } } }', { id: chargerId })
        ).data.charger;
        return c.diagnostics.status === 'Uploaded' && c.diagnosticsFiles.length > 0 ? c : null;
      },
      { timeoutMs: 20_000, what: 'diagnostics Uploaded and the file listed' },
    );
    expect(cp!.diagnosticsUploads).toEqual([{ location: url, status: 201 }]);
    const [file] = view.diagnosticsFiles;
    expect(file).toMatchObject({ id: uploadId, fileName: `diagnostics-${OCPP}.log`, size: cp!.diagnosticsContent.length });
    const got = (await gql(token, 'query($id: ID!) { chargerDiagnosticsFile(id: $id) { sha256 contentBase64 } }', { id: file.id })).data.chargerDiagnosticsFile;
    expect(Buffer.from(got.contentBase64, 'base64').equals(cp!.diagnosticsContent)).toBe(true);
    expect(got.sha256).toBe(file.sha256);
    // the URL is spent
    expect((await fetch(url, { method: 'PUT', body: 'again' })).status).toBe(409);
  });

  it('a charger no bridge holds: FAILED with CHARGER_OFFLINE', async () => {
    const r = await send('clearChargerCache', 'ChargerCommandInput', { chargerId: ids.get(OFFLINE), idempotencyKey: `o-${randomUUID()}` });
    expect(await finished(r.command.id, 'offline result')).toMatchObject({ status: 'FAILED', reason: 'CHARGER_OFFLINE' });
  });

  it('needs charger:command: a viewer is refused, and sees no commands', async () => {
    const viewer = (await stack.login(tenant.code, 'vera', 'vera password 1')).accessToken;
    const r = await gql(viewer, 'mutation($i: ResetChargerInput!) { resetCharger(input: $i) { command { id } } }', {
      i: { chargerId: ids.get(OCPP), idempotencyKey: `v-${randomUUID()}` },
    });
    expect(r.errors[0].extensions.code).toBe('FORBIDDEN');
    const q = await gql(viewer, 'query($id: ID!) { charger(id: $id) { code commands { edges { node { id } } } } }', { id: ids.get(OCPP) });
    expect(q.errors[0].extensions.code).toBe('FORBIDDEN');
  });

  it('a revoked credential drops the connected charger and refuses it (401) from then on; a new one lets it in, and rotating again drops that connection too', async () => {
    const connectAs = async (password: string | undefined) => {
      const c = new SimulatedChargePoint({ url: stack.bridgeUrl, id: REVOKED, password });
      await c.connect();
      await c.boot();
      return c;
    };
    // A new credential lets it in once the bridge has heard of it (its charger.changed; a charger retries anyway).
    const reconnectAs = (password: string) =>
      eventually(() => connectAs(password).catch(() => undefined), { timeoutMs: 10_000, what: 'the charger back in with its new credential' });
    const refusedWith = (password: string | undefined) =>
      new SimulatedChargePoint({ url: stack.bridgeUrl, id: REVOKED, password }).connect().then(
        () => 'connected',
        (e: { code?: number }) => e.code,
      );
    const online = async () => (await gql(token, 'query($id: ID!) { charger(id: $id) { online } }', { id: ids.get(REVOKED) })).data.charger.online as boolean;
    const leaked = passwords.get(REVOKED)!;
    const first = await connectAs(leaked);
    await eventually(online, { timeoutMs: 20_000, what: 'the charger online' });

    const r = await gql(
      token,
      'mutation($id: ID!, $reason: String!) { revokeChargerCredential(chargerId: $id, reason: $reason) { security { hasPassword credentialRevokedAt } userErrors { code } } }',
      { id: ids.get(REVOKED), reason: 'charger stolen from the depot' },
    );
    expect(r.data.revokeChargerCredential).toEqual({ security: { hasPassword: false, credentialRevokedAt: expect.any(String) }, userErrors: [] });
    const revokedAt = Date.now();
    await eventually(async () => !first.isOpen, { timeoutMs: 10_000, what: 'the connection dropped by the bridge' });
    const dropMs = Date.now() - revokedAt;
    expect(dropMs).toBeLessThan(10_000);
    await eventually(async () => !(await online()), { timeoutMs: 20_000, what: 'the charger offline' });
    // its next attempts: refused, with the leaked password or none
    expect(await refusedWith(leaked)).toBe(401);
    expect(await refusedWith(undefined)).toBe(401);
    const log = (await gql(token, '{ assetAuditLog(first: 20) { action target after } }')).data.assetAuditLog as {
      action: string;
      target: string;
      after: any;
    }[];
    expect(log.find((e) => e.action === 'CHARGER_CREDENTIAL_REVOKED' && e.target === `charger:${ids.get(REVOKED)}`)?.after).toMatchObject({
      reason: 'charger stolen from the depot',
    });

    // re-commissioned: a new credential lets it in again
    const rotate = async () =>
      (
        await gql(token, 'mutation($id: ID!) { rotateChargerCredential(chargerId: $id) { credential { password } userErrors { code } } }', {
          id: ids.get(REVOKED),
        })
      ).data.rotateChargerCredential.credential.password as string;
    const fresh = await rotate();
    const second = await reconnectAs(fresh);
    expect(second.isOpen).toBe(true);
    // rotating drops the connection made with the credential it replaces, by the same path
    const newest = await rotate();
    await eventually(async () => !second.isOpen, { timeoutMs: 10_000, what: 'the connection of the rotated credential dropped' });
    expect(await refusedWith(fresh)).toBe(401);
    const third = await reconnectAs(newest);
    expect(third.isOpen).toBe(true);
    await third.close();
  });
});
