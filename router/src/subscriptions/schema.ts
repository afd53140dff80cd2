import { extendSchema, GraphQLFieldResolver, GraphQLObjectType, GraphQLSchema, isObjectType, parse, assertValidSchema } from 'graphql';
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

/**
 * The schema subscriptions execute against: the supergraph's API schema
 * extended with the router-owned SDL, with the router's resolvers attached.
 * Built once per supergraph; the API schema itself is not modified.
 */
export function buildSubscriptionSchema(apiSchema: GraphQLSchema, routerSdl: string, resolvers: RouterResolvers): GraphQLSchema {
  let extended: GraphQLSchema;
  try {
    extended = extendSchema(apiSchema, parse(routerSdl));
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
  for (const [typeName, fields] of Object.entries(resolvers)) {
    const type = schema.getType(typeName);
    if (!isObjectType(type) || apiSchema.getType(typeName)) throw new Error(`resolvers given for ${typeName}, which is not a router-owned object type`);
    const defined = type.getFields();
    for (const [fieldName, r] of Object.entries(fields)) {
      const field = defined[fieldName];
      if (!field) throw new Error(`resolvers given for unknown field ${typeName}.${fieldName}`);
      if (r.resolve) field.resolve = r.resolve;
      if (r.subscribe) field.subscribe = r.subscribe;
    }
  }
  assertValidSchema(schema);
  return schema;
}
