import { randomUUID } from 'node:crypto';
import { dropDatabase } from '@evcs/platform';
import { SimulatedChargePoint } from '@evcs/protocol-bridge/dist/src/simulator';
import { registerFleet } from '@evcs/protocol-bridge/dist/src/simulator/register';
import { eventually, PG_SUPERUSER_URL, uniqueName } from '@evcs/testkit';
import { DemoTenant, Stack, startStack } from '../src/stack';

/**
 * Cards end to end, every service a real process: an operator registers a driver's card and blocks
 * another through the router; a charger's StartTransaction with the card becomes an order of the
 * driver (bridge → Kafka → orders), the blocked card is told Blocked and its order flagged, and the
 * block reaches the charger's offline list (tenants outbox → Kafka → bridge → SendLocalList).
 */
describe('end to end: id tags from the API to the charger and the order', () => {
  let stack: Stack;
  let cp: SimulatedChargePoint | undefined;
  const database = uniqueName('evcs_e2e_idtags');
  const code = `E2E-TAG-${randomUUID().slice(0, 6)}`;
  const tenant: DemoTenant = {
    id: randomUUID(),
    code: uniqueName('op_idtags'),
    name: 'Cards Operator',
    users: [
      { username: 'olga', password: 'olga password 1', roles: ['OPERATOR_ADMIN'] },
      { username: 'dora', password: 'dora password 1', roles: [] },
    ],
    stations: [{ code: 'T-ST-1', name: 'Cards Station', chargers: [{ code, connectors: 2 }] }],
  };

  beforeAll(async () => {
    stack = await startStack({ database, kafkaNamespace: uniqueName('e2e_idtags'), ports: 'ephemeral', quiet: true });
    await stack.seedTenant(tenant);
  });
  afterAll(async () => {
    await cp?.close().catch(() => undefined);
    await stack?.stop();
    await dropDatabase(PG_SUPERUSER_URL, database);
  });

  async function gql(token: string, query: string, variables: Record<string, unknown> = {}) {
    const res = await fetch(stack.routerUrls[0], {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as any;
  }

  it('a card’s sessions are its user’s; a blocked card is refused, flagged, and blocked on the charger’s own list too', async () => {
    const { accessToken } = await stack.login(tenant.code, 'olga', 'olga password 1');
    const users = await gql(accessToken, '{ users { edges { node { id username } } } }');
    const dora = users.data.users.edges.find((e: { node: { username: string } }) => e.node.username === 'dora').node.id;
    const create = 'mutation($i: CreateIdTagInput!) { createIdTag(input: $i) { idTag { value } userErrors { code } } }';
    expect((await gql(accessToken, create, { i: { value: 'DORA-CARD', userId: dora } })).data.createIdTag.userErrors).toEqual([]);
    expect((await gql(accessToken, create, { i: { value: 'LOST-CARD', userId: dora, status: 'BLOCKED' } })).data.createIdTag.userErrors).toEqual([]);

    // Registered like any fleet: the operator's API hands out the charger's password.
    const { passwords } = await registerFleet({
      routerUrl: stack.routerUrls[0],
      token: accessToken,
      stationCode: tenant.stations[0].code,
      ocpp: [code],
      ykc: [],
      connectors: 1,
    });
    cp = new SimulatedChargePoint({ url: stack.bridgeUrl, id: code, password: passwords.get(code) });
    await cp.connect();
    await cp.boot();
    await eventually(async () => (cp!.localList.get('LOST-CARD')?.status === 'Blocked' ? true : null), { timeoutMs: 30_000, what: 'the local list at boot' });
    expect((await cp.authorize('dora-card')).idTagInfo).toEqual({ status: 'Accepted' });
    expect((await cp.authorize('SOMEONE-ELSE')).idTagInfo).toEqual({ status: 'Invalid' });

    const ok = await cp.startTransaction(1, 'DORA-CARD', 1000);
    expect(ok.idTagInfo.status).toBe('Accepted');
    const lost = await cp.startTransaction(2, 'LOST-CARD', 1000);
    expect(lost.idTagInfo.status).toBe('Blocked');
    const charger = await gql(accessToken, 'query($c: String!) { chargerByCode(code: $c) { id } }', { c: code });
    const orders = await eventually(
      async () => {
        const r = await gql(
          accessToken,
          'query($c: [ID!]) { orders(filter: { chargerIds: $c }) { edges { node { transactionId origin userId reviewFlags } } } }',
          { c: [charger.data.chargerByCode.id] },
        );
        const edges = r.data?.orders?.edges ?? [];
        return edges.length === 2 ? edges.map((e: { node: unknown }) => e.node) : null;
      },
      { timeoutMs: 30_000, what: 'two charger-started orders' },
    );
    const byTx = new Map(orders.map((o: { transactionId: string }) => [o.transactionId, o]));
    expect(byTx.get(String(ok.transactionId))).toEqual({ transactionId: String(ok.transactionId), origin: 'CHARGER', userId: dora, reviewFlags: [] });
    expect(byTx.get(String(lost.transactionId))).toMatchObject({ origin: 'CHARGER', reviewFlags: ['ID_TAG_BLOCKED'] });

    // Blocked through the API: the charger's offline list follows, and it is refused online at once.
    const block = await gql(accessToken, 'mutation { updateIdTag(input: { value: "DORA-CARD", status: BLOCKED }) { idTag { status } userErrors { code } } }');
    expect(block.data.updateIdTag.idTag.status).toBe('BLOCKED');
    await eventually(async () => (cp!.localList.get('DORA-CARD')?.status === 'Blocked' ? true : null), {
      timeoutMs: 30_000,
      what: 'the block on the charger’s list',
    });
    expect((await cp.authorize('DORA-CARD')).idTagInfo).toEqual({ status: 'Blocked' });
  });
});
