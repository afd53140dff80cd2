import { buildSchema, execute, GraphQLResolveInfo, isObjectType, parse } from 'graphql';
import { selectionToGatewayQuery, type GatewayRequest } from '../src/subscriptions/gateway-query';

// A router-owned type pointing at a supergraph type, as in the real schema.
const schema = buildSchema(`
  interface Node { id: ID! }
  type Connector implements Node { id: ID! no: Int! }
  type Charger implements Node { id: ID! code: String! name: String! connectors(status: String): [Connector!]! }
  type Change { code: String! charger: Charger }
  type Query { change: Change! chargerByCode(code: String!): Charger }
`);

/** Execute `source` locally and return the query the `charger` field would forward. */
function forwardedFor(source: string, variableValues: Record<string, unknown> = {}): GatewayRequest {
  let captured: GatewayRequest | undefined;
  const change = schema.getType('Change');
  if (!isObjectType(change)) throw new Error('no Change type');
  change.getFields().charger.resolve = (src: { code: string }, _a: unknown, _c: unknown, info: GraphQLResolveInfo) => {
    captured = selectionToGatewayQuery({
      operationName: 'RouterSubscriptionCharger',
      rootField: 'chargerByCode',
      args: { code: { type: 'String!', value: src.code } },
      info,
    });
    return null;
  };
  const result = execute({ schema, document: parse(source), variableValues, rootValue: { change: { code: 'CP-1' } } });
  if ('then' in result) throw new Error('unexpected async result');
  if (result.errors) throw result.errors[0];
  if (!captured) throw new Error('charger was not resolved');
  return captured;
}

const squash = (s: string) => s.replace(/\s+/g, ' ').trim();

describe('selectionToGatewayQuery', () => {
  it('forwards the selection as the root field of a named query, with the key as a variable', () => {
    const r = forwardedFor('{ change { code charger { name code } } }');
    expect(squash(r.query)).toBe(squash('query RouterSubscriptionCharger($code: String!) { chargerByCode(code: $code) { __typename name code } }'));
    expect(r.variables).toEqual({ code: 'CP-1' });
    expect(r.operationName).toBe('RouterSubscriptionCharger');
  });

  it('keeps aliases and arguments, and adds __typename to nested selections', () => {
    const r = forwardedFor('{ change { charger { label: name busy: connectors(status: "Charging") { no } } } }');
    expect(squash(r.query)).toContain('chargerByCode(code: $code) { __typename label: name busy: connectors(status: "Charging") { __typename no } }');
  });

  it('carries the named fragments the selection uses (transitively), and only those', () => {
    const r = forwardedFor(`
      { change { charger { ...A ... on Node { id } } } }
      fragment A on Charger { name connectors { ...B } }
      fragment B on Connector { no }
      fragment Unused on Charger { code }
    `);
    const doc = parse(r.query);
    const fragments = doc.definitions.filter((d) => d.kind === 'FragmentDefinition').map((d) => (d as { name: { value: string } }).name.value);
    expect(fragments).toEqual(['A', 'B']);
    expect(squash(r.query)).toContain('... on Node { __typename id }');
    expect(squash(r.query)).toContain('fragment B on Connector { __typename no }');
  });

  it('declares and passes only the client variables the selection uses', () => {
    const r = forwardedFor(
      `query Q($withName: Boolean!, $status: String, $other: Int) {
        change { charger { name @include(if: $withName) connectors(status: $status) { no } } }
      }`,
      { withName: true, status: 'Charging', other: 3 },
    );
    expect(squash(r.query)).toContain('query RouterSubscriptionCharger($code: String!, $withName: Boolean!, $status: String)');
    expect(r.variables).toEqual({ code: 'CP-1', withName: true, status: 'Charging' });
  });

  it('renames its own variable when the client selection already uses the same name', () => {
    const r = forwardedFor('query Q($code: String) { change { charger { connectors(status: $code) { no } } } }', { code: 'Faulted' });
    expect(squash(r.query)).toContain('query RouterSubscriptionCharger($code_1: String!, $code: String)');
    expect(squash(r.query)).toContain('chargerByCode(code: $code_1)');
    expect(r.variables).toEqual({ code_1: 'CP-1', code: 'Faulted' });
  });

  it('produces a query that validates against the target schema', () => {
    const { validate } = require('graphql') as typeof import('graphql');
    const r = forwardedFor('{ change { charger { ...A } } } fragment A on Charger { id name }');
    expect(validate(schema, r.document)).toEqual([]);
  });
});
