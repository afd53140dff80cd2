import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSchema, graphql, parse, subscribe, type ExecutionResult } from 'graphql';
import { createLogger, type Identity } from '@evcs/platform';
import type { RouterContext } from '../src/auth';
import type { GatewayExecutor } from '../src/gateway';
import { connectorStatusResolvers, type ConnectorStatusChange } from '../src/subscriptions/connector-status';
import { TenantEventHub } from '../src/subscriptions/pubsub';
import { buildSubscriptionSchema } from '../src/subscriptions/schema';
import { SUBSCRIPTIONS_SDL } from '../src/subscriptions/subscriptions-sdl';

const logger = createLogger('test', { level: 'silent' });
const T1 = '11111111-1111-4111-8111-111111111111';

// Stands in for the gateway's API schema and for the gateway itself: the
// forwarded query really executes, so aliases and fragments are exercised.
const apiSdl = `
  type Charger { id: ID! code: String! name: String! }
  type OrderProgress { readingAt: String energy: String }
  type Query { chargerByCode(code: String!): Charger }
`;
const apiSchema = buildSchema(apiSdl);
const fakeGateway = buildSchema(apiSdl);

function setup() {
  const seen: { query: string; identity: Identity | null }[] = [];
  const execute: GatewayExecutor = async (request, context) => {
    seen.push({ query: request.query, identity: context.identity });
    const result = await graphql({
      schema: fakeGateway,
      source: request.query,
      variableValues: request.variables,
      // As assets: a station-scoped identity sees only the chargers of its stations (here: station "S-<code>").
      rootValue: {
        chargerByCode: ({ code }: { code: string }) =>
          context.identity?.stationIds && !context.identity.stationIds.includes(`S-${code}`) ? null : { id: `id-${code}`, code, name: `Charger ${code}` },
      },
    });
    return { data: result.data as Record<string, unknown> | null, errors: result.errors?.map((e) => e.toJSON()) };
  };
  const hub = new TenantEventHub<ConnectorStatusChange>({ name: 'connectorStatusChanged', logger });
  const schema = buildSubscriptionSchema(apiSchema, SUBSCRIPTIONS_SDL, connectorStatusResolvers({ hub, execute }));
  return { hub, schema, seen };
}

const user = (tenantId: string | null, over: Partial<Identity> = {}): Identity => ({
  subject: 'u1',
  kind: 'user',
  tenantId,
  roles: [],
  permissions: ['station:read'],
  dataScope: 'TENANT',
  ...over,
});
const ctx = (identity: Identity): RouterContext => ({ identity, requestId: 'r1', log: logger });
const change = (over: Partial<ConnectorStatusChange> = {}): ConnectorStatusChange => ({
  eventId: 'e1',
  tenantId: T1,
  chargerCode: 'CP-1',
  connectorNo: 1,
  status: 'Charging',
  errorCode: 'NoError',
  occurredAt: '2026-01-01T00:00:00Z',
  ...over,
});

describe('router subscription schema', () => {
  it('is the committed subscriptions.graphql', () => {
    const committed = readFileSync(path.resolve(__dirname, '../../src/subscriptions/subscriptions.graphql'), 'utf8');
    expect(SUBSCRIPTIONS_SDL).toBe(committed);
  });

  it('leaves out a subscription whose payload type the supergraph lacks (composed without orders), and says so', () => {
    const dropped: string[][] = [];
    const withoutOrders = buildSchema('type Charger { id: ID! } type Query { chargerByCode(code: String!): Charger }');
    const hub = new TenantEventHub<ConnectorStatusChange>({ name: 'connectorStatusChanged', logger });
    const execute: GatewayExecutor = async () => ({ data: null });
    const schema = buildSubscriptionSchema(withoutOrders, SUBSCRIPTIONS_SDL, connectorStatusResolvers({ hub, execute }), (f) => dropped.push(f));
    expect(Object.keys(schema.getSubscriptionType()!.getFields())).toEqual(['connectorStatusChanged', 'chargerCommandUpdated']);
    expect(dropped).toEqual([['orderProgress']]);
  });

  it('extends the API schema with a Subscription root', () => {
    const { schema } = setup();
    expect(schema.getSubscriptionType()?.getFields().connectorStatusChanged).toBeDefined();
    expect(schema.getQueryType()?.getFields().chargerByCode).toBeDefined();
  });

  it('streams events of the subscriber tenant and resolves charger through the gateway, aliases included', async () => {
    const { hub, schema, seen } = setup();
    const identity = user(T1);
    const stream = (await subscribe({
      schema,
      document: parse(
        'subscription { connectorStatusChanged(chargerCode: "CP-1") { eventId status charger { label: name ...F } } } fragment F on Charger { code }',
      ),
      contextValue: ctx(identity),
    })) as AsyncGenerator<ExecutionResult>;
    expect(Symbol.asyncIterator in stream).toBe(true);
    hub.publish(T1, change({ eventId: 'e-other', chargerCode: 'CP-2' }));
    hub.publish(T1, change());
    const first = await stream.next();
    expect(first.value).toEqual({
      data: { connectorStatusChanged: { eventId: 'e1', status: 'Charging', charger: { label: 'Charger CP-1', code: 'CP-1' } } },
    });
    expect(seen).toHaveLength(1);
    expect(seen[0].identity).toBe(identity);
    expect(seen[0].query).toContain('query RouterSubscriptionCharger($code: String!)');
    await stream.return(undefined);
    expect(hub.size).toBe(0);
  });

  it('refuses a subscriber without a tenant with TENANT_CONTEXT_MISSING', async () => {
    const { schema } = setup();
    const result = (await subscribe({
      schema,
      document: parse('subscription { connectorStatusChanged { eventId } }'),
      contextValue: ctx(user(null)),
    })) as ExecutionResult;
    expect(result.errors?.[0].originalError).toEqual(expect.objectContaining({ code: 'TENANT_CONTEXT_MISSING' }));
  });

  it('honours the permission and data scope: FORBIDDEN without station:read; a station manager sees only assigned stations; SELF nothing', async () => {
    const { hub, schema } = setup();
    const sub = async (identity: Identity) =>
      subscribe({ schema, document: parse('subscription { connectorStatusChanged { eventId chargerCode } }'), contextValue: ctx(identity) }) as Promise<
        AsyncGenerator<ExecutionResult> | ExecutionResult
      >;
    const denied = (await sub(user(T1, { permissions: [] }))) as ExecutionResult;
    expect(denied.errors?.[0].originalError).toEqual(expect.objectContaining({ code: 'FORBIDDEN' }));

    const manager = (await sub(user(T1, { dataScope: 'ASSIGNED_STATIONS', stationIds: ['S-CP-MINE'] }))) as AsyncGenerator<ExecutionResult>;
    const self = (await sub(user(T1, { dataScope: 'SELF' }))) as AsyncGenerator<ExecutionResult>;
    const admin = (await sub(user(T1))) as AsyncGenerator<ExecutionResult>;
    hub.publish(T1, change({ eventId: 'e-theirs', chargerCode: 'CP-THEIRS' }));
    hub.publish(T1, change({ eventId: 'e-mine', chargerCode: 'CP-MINE' }));
    expect((await manager.next()).value).toEqual({ data: { connectorStatusChanged: { eventId: 'e-mine', chargerCode: 'CP-MINE' } } });
    expect((await admin.next()).value.data.connectorStatusChanged.eventId).toBe('e-theirs');
    expect((await admin.next()).value.data.connectorStatusChanged.eventId).toBe('e-mine');
    // SELF: nothing arrives (the next event would resolve this if it had been delivered)
    const selfNext = self.next();
    const winner = await Promise.race([selfNext.then(() => 'delivered'), new Promise((r) => setTimeout(() => r('nothing'), 100))]);
    expect(winner).toBe('nothing');
    // unsubscribing does not wait for an event, whatever the filter
    await Promise.all([manager.return(undefined), self.return(undefined), admin.return(undefined)]);
    expect(hub.size).toBe(0);
  });
});
