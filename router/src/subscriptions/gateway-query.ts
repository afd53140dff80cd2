import {
  ArgumentNode,
  DocumentNode,
  FieldNode,
  FragmentDefinitionNode,
  GraphQLResolveInfo,
  Kind,
  OperationTypeNode,
  parseType,
  print,
  SelectionNode,
  SelectionSetNode,
  VariableDefinitionNode,
  visit,
} from 'graphql';

/**
 * Forwarding a router-owned field's selection to the federated graph.
 *
 * A subscription payload (owned by the router) can point at entities owned by
 * subgraphs. For such a field the router takes what the client selected on it
 * and runs it through the gateway as the root field of a generated query:
 *
 *   subscription { connectorStatusChanged { charger { name ...F } } }
 *   →  query RouterSubscriptionCharger($code: String!) {
 *        chargerByCode(code: $code) { __typename name ...F }
 *      }
 *      fragment F on Charger { ... }
 *
 * Fragments and variables the selection uses are carried over; aliases are kept,
 * so the gateway's response is keyed exactly like the client's selection (the
 * local schema reads forwarded objects by response key, see `schema.ts`).
 * `__typename` is added to every selection set so abstract types resolve locally.
 */
export interface ForwardedFieldQuery {
  operationName: string;
  /** Root field of the generated query, e.g. `chargerByCode`. */
  rootField: string;
  /** Arguments of the root field: name → GraphQL input type (e.g. `String!`) and value. */
  args: Record<string, { type: string; value: unknown }>;
  /** Resolve info of the router-owned field whose selection is forwarded. */
  info: Pick<GraphQLResolveInfo, 'fieldNodes' | 'fragments' | 'operation' | 'variableValues'>;
}

export interface GatewayRequest {
  operationName: string;
  query: string;
  document: DocumentNode;
  variables: Record<string, unknown>;
}

export function selectionToGatewayQuery(q: ForwardedFieldQuery): GatewayRequest {
  const selections: SelectionNode[] = q.info.fieldNodes.flatMap((n) => n.selectionSet?.selections ?? []);
  const fragments = usedFragments(selections, q.info.fragments);
  const usedVariables = variablesIn([...selections, ...fragments]);

  const variableDefinitions: VariableDefinitionNode[] = [];
  const variables: Record<string, unknown> = {};
  const taken = new Set(usedVariables);
  const rootArguments: ArgumentNode[] = [];
  for (const [argName, { type, value }] of Object.entries(q.args)) {
    let varName = argName;
    for (let i = 1; taken.has(varName); i++) varName = `${argName}_${i}`;
    taken.add(varName);
    variableDefinitions.push({
      kind: Kind.VARIABLE_DEFINITION,
      variable: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: varName } },
      type: parseType(type),
    });
    variables[varName] = value;
    rootArguments.push({
      kind: Kind.ARGUMENT,
      name: { kind: Kind.NAME, value: argName },
      value: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: varName } },
    });
  }
  for (const def of q.info.operation.variableDefinitions ?? []) {
    const name = def.variable.name.value;
    if (!usedVariables.has(name)) continue;
    // The client's directives on its variable definitions mean nothing to the gateway.
    variableDefinitions.push({ ...def, directives: [] });
    if (Object.prototype.hasOwnProperty.call(q.info.variableValues, name)) variables[name] = q.info.variableValues[name];
  }

  const rootField: FieldNode = {
    kind: Kind.FIELD,
    name: { kind: Kind.NAME, value: q.rootField },
    arguments: rootArguments,
    selectionSet: selections.length > 0 ? { kind: Kind.SELECTION_SET, selections } : undefined,
  };
  const document = withTypenames({
    kind: Kind.DOCUMENT,
    definitions: [
      {
        kind: Kind.OPERATION_DEFINITION,
        operation: OperationTypeNode.QUERY,
        name: { kind: Kind.NAME, value: q.operationName },
        variableDefinitions,
        selectionSet: { kind: Kind.SELECTION_SET, selections: [rootField] },
      },
      ...fragments,
    ],
  });
  return { operationName: q.operationName, query: print(document), document, variables };
}

/** Fragment definitions reachable from `selections`, each once, in first-use order. */
function usedFragments(selections: readonly SelectionNode[], all: Record<string, FragmentDefinitionNode>): FragmentDefinitionNode[] {
  const found = new Map<string, FragmentDefinitionNode>();
  const walk = (sels: readonly SelectionNode[]) => {
    for (const s of sels) {
      if (s.kind === Kind.FRAGMENT_SPREAD) {
        const name = s.name.value;
        const def = all[name];
        if (!def || found.has(name)) continue;
        found.set(name, def);
        walk(def.selectionSet.selections);
      } else if (s.selectionSet) {
        walk(s.selectionSet.selections);
      }
    }
  };
  walk(selections);
  return [...found.values()];
}

function variablesIn(nodes: ReadonlyArray<SelectionNode | FragmentDefinitionNode>): Set<string> {
  const names = new Set<string>();
  for (const node of nodes) {
    visit(node, {
      Variable(v) {
        names.add(v.name.value);
      },
    });
  }
  return names;
}

function withTypenames(doc: DocumentNode): DocumentNode {
  return visit(doc, {
    SelectionSet(set: SelectionSetNode, _key, parent): SelectionSetNode | undefined {
      // The operation's own root needs none: its type is always Query.
      if (parent && !Array.isArray(parent) && (parent as { kind?: string }).kind === Kind.OPERATION_DEFINITION) return undefined;
      const has = set.selections.some((s) => s.kind === Kind.FIELD && s.name.value === '__typename' && !s.alias);
      if (has) return undefined;
      return { ...set, selections: [{ kind: Kind.FIELD, name: { kind: Kind.NAME, value: '__typename' } }, ...set.selections] };
    },
  });
}
