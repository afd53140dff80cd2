import {
  assertValidSchema,
  DefinitionNode,
  extendSchema,
  GraphQLFieldResolver,
  GraphQLObjectType,
  GraphQLSchema,
  isObjectType,
  Kind,
  parse,
  TypeNode,
} from 'graphql';
import { AppError, ErrorCodes } from '@evcs/platform';

export interface FieldResolvers {
  resolve?: GraphQLFieldResolver<any, any, any>;
  subscribe?: GraphQLFieldResolver<any, any, any>;
}
/** Resolvers for router-owned types: type name → field name → resolvers. */
export type RouterResolvers = Record<string, Record<string, FieldResolvers>>;

/**
 * Objects of supergraph types reach the local schema only as gateway responses
 * to forwarded selections (see gateway-query.ts), which are keyed by response
 * key (alias or field name). Reading by response key keeps aliases working:
 * `charger { n: name }` arrives as `{ n: … }`.
 */
const byResponseKey: GraphQLFieldResolver<unknown, unknown> = (source, _args, _ctx, info) =>
  source == null ? null : (source as Record<string, unknown>)[info.path.key as string];

const namedType = (t: TypeNode): string => (t.kind === Kind.NAMED_TYPE ? t.name.value : namedType(t.type));

/**
 * The router SDL without the subscriptions whose payload is a type the supergraph lacks (a
 * graph composed without the subgraph that owns it, e.g. no orders: no orderProgress): those
 * cannot be served, the others still can. Any other misfit is left for extendSchema to report.
 */
function servableOnly(apiSchema: GraphQLSchema, routerSdl: string): { definitions: DefinitionNode[]; dropped: string[] } {
  const doc = parse(routerSdl);
  const own = new Set(doc.definitions.flatMap((d) => ('name' in d && d.name ? [d.name.value] : [])));
  const known = (name: string) => own.has(name) || Boolean(apiSchema.getType(name));
  const dropped: string[] = [];
  const definitions = doc.definitions.map((d) => {
    if (d.kind !== Kind.OBJECT_TYPE_DEFINITION || d.name.value !== 'Subscription') return d;
    const fields = (d.fields ?? []).filter((f) => known(namedType(f.type)) || (dropped.push(f.name.value), false));
    return { ...d, fields };
  });
  return { definitions, dropped };
}

/**
 * The schema subscriptions execute against: the supergraph's API schema
 * extended with the router-owned SDL, with the router's resolvers attached.
 * Built once per supergraph; the API schema itself is not modified. Subscriptions
 * whose payload type the supergraph lacks are left out, and told to `onDropped`.
 */
export function buildSubscriptionSchema(
  apiSchema: GraphQLSchema,
  routerSdl: string,
  resolvers: RouterResolvers,
  onDropped: (fields: string[]) => void = () => undefined,
): GraphQLSchema {
  let extended: GraphQLSchema;
  const { definitions, dropped } = servableOnly(apiSchema, routerSdl);
  if (dropped.length) onDropped(dropped);
  try {
    extended = extendSchema(apiSchema, { kind: Kind.DOCUMENT, definitions });
  } catch (e) {
    throw new AppError(ErrorCodes.INVALID_CONFIGURATION, `router SDL does not fit the supergraph: ${(e as Error).message}`, { cause: e });
  }
  // A new `type Subscription` is not a root type until the schema says so.
  const subscription = extended.getSubscriptionType() ?? (extended.getType('Subscription') as GraphQLObjectType | undefined);
  const schema = new GraphQLSchema({ ...extended.toConfig(), subscription });

  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__') || !isObjectType(type) || !apiSchema.getType(type.name)) continue;
    for (const field of Object.values(type.getFields())) field.resolve = byResponseKey;
  }
  attachResolvers(schema, apiSchema, resolvers, dropped);
  assertValidSchema(schema);
  return schema;
}

/** The router's resolvers on its own types (those of subscriptions left out are not attached). */
function attachResolvers(schema: GraphQLSchema, apiSchema: GraphQLSchema, resolvers: RouterResolvers, dropped: readonly string[]): void {
  for (const [typeName, fields] of Object.entries(resolvers)) {
    const type = schema.getType(typeName);
    if (!isObjectType(type) || apiSchema.getType(typeName)) throw new Error(`resolvers given for ${typeName}, which is not a router-owned object type`);
    const defined = type.getFields();
    for (const [fieldName, r] of Object.entries(fields)) {
      if (typeName === 'Subscription' && dropped.includes(fieldName)) continue;
      const field = defined[fieldName];
      if (!field) throw new Error(`resolvers given for unknown field ${typeName}.${fieldName}`);
      if (r.resolve) field.resolve = r.resolve;
      if (r.subscribe) field.subscribe = r.subscribe;
    }
  }
}
