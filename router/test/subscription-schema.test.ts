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
      rootValue: { chargerByCode: ({ code }: { code: string }) => ({ id: `id-${code}`, code, name: `Charger ${code}` }) },
    });
    return { data: result.data as Record<string, unknown> | null, errors: result.errors?.map((e) => e.toJSON()) };
  };
  const hub = new TenantEventHub<ConnectorStatusChange>({ name: 'connectorStatusChanged', logger });
  const schema = buildSubscriptionSchema(apiSchema, SUBSCRIPTIONS_SDL, connectorStatusResolvers({ hub, execute }));
  return { hub, schema, seen };
}

const user = (tenantId: string | null): Identity => ({ subject: 'u1', kind: 'user', tenantId, roles: [], permissions: [] });
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
      document: parse('subscription { connectorStatusChanged(chargerCode: "CP-1") { eventId status charger { label: name ...F } } } fragment F on Charger { code }'),
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
});
