import 'reflect-metadata';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Arg, Args, Ctx, Directive, Field, ID, InputType, ObjectType, Query, Resolver } from 'type-graphql';
import { requirePermission } from '../authz';
import { pageWindow, type PageArgs } from '../cursor';
import { connectionOf, PageInfoObject, RelayPageArgs } from '../graphql-connection';
import type { BaseRequestContext } from '../subgraph';
import { AUDIT_CURSOR, type AuditEntryRecord, type AuditFilter, type PgAuditReader } from './reader';

// Every subgraph with an audit log defines these types, identically: one class each (@shareable).

@Directive('@shareable')
@ObjectType('AuditEntry', { description: 'One audited change, as its service recorded it in the transaction that made it. Never secrets.' })
export class AuditEntryObject {
  @Field(() => ID) id!: string;
  @Field(() => Date) occurredAt!: Date;
  @Field({ description: 'USER, SERVICE or CHARGER' }) actorType!: string;
  @Field({ description: 'User id, service name or charger id' }) actorId!: string;
  @Field(() => String, { nullable: true, description: 'Who really acted, when a platform administrator acted in this tenant' })
  onBehalfOf!: string | null;
  @Field() action!: string;
  @Field({ description: 'What the change is about, e.g. tariff-plan, charger, refund' }) targetType!: string;
  @Field() targetId!: string;
  @Field(() => GraphQLJSONObject, { nullable: true }) before!: Record<string, unknown> | null;
  @Field(() => GraphQLJSONObject, { nullable: true }) after!: Record<string, unknown> | null;
  @Field(() => GraphQLJSONObject, { nullable: true, description: 'What is neither before nor after, e.g. a reason' }) details!: Record<string, unknown> | null;
  @Field(() => String, { nullable: true }) requestId!: string | null;
  @Field(() => String, { nullable: true, description: 'The client address the router saw' }) clientAddress!: string | null;
}

@Directive('@shareable')
@ObjectType('AuditEntryEdge')
export class AuditEntryEdgeObject {
  @Field() cursor!: string;
  @Field(() => AuditEntryObject) node!: AuditEntryObject;
}

@Directive('@shareable')
@ObjectType('AuditEntryConnection')
export class AuditEntryConnectionObject {
  @Field(() => [AuditEntryEdgeObject]) edges!: AuditEntryEdgeObject[];
  @Field(() => PageInfoObject) pageInfo!: PageInfoObject;
}

@InputType('AuditFilter', { description: 'Narrows an audit log; every given field must match.' })
export class AuditFilterInput implements AuditFilter {
  @Field(() => String, { nullable: true }) action?: string | null;
  @Field(() => String, { nullable: true }) targetType?: string | null;
  @Field(() => String, { nullable: true }) targetId?: string | null;
  @Field(() => String, { nullable: true }) actorId?: string | null;
  @Field(() => Date, { nullable: true, description: 'occurred at or after' }) from?: Date | null;
  @Field(() => Date, { nullable: true, description: 'occurred before' }) to?: Date | null;
}

const DEFAULT_PAGE = 50;
const MAX_PAGE = 200;

/**
 * One page of a tenant's audit log: the one read every `<service>AuditLog` query makes. Newest
 * first; `first`/`after` page towards older entries, `last`/`before` back towards newer ones.
 */
export async function auditLogPage(reader: PgAuditReader, tenantId: string, filter: AuditFilter, args: PageArgs) {
  const window = pageWindow(args, { codec: AUDIT_CURSOR, defaultSize: DEFAULT_PAGE, max: MAX_PAGE });
  const rows = await reader.page(tenantId, filter, window);
  const page = connectionOf(rows, window, {
    key: (r: AuditEntryRecord) => r.id,
    node: (r) => Object.assign(new AuditEntryObject(), r),
  });
  return Object.assign(new AuditEntryConnectionObject(), {
    pageInfo: page.pageInfo,
    edges: page.edges.map((e) => Object.assign(new AuditEntryEdgeObject(), e)),
  });
}

/**
 * The resolver of a subgraph's audit log query (`tariffAuditLog(filter, first, after)`): the
 * caller's own tenant, newest first, behind `audit:read`. Add the class to the schema's resolvers.
 */
export function auditLogResolver<C extends BaseRequestContext>(opts: { field: string; what: string; reader: (ctx: C) => PgAuditReader }) {
  @Resolver()
  class AuditLogResolver {
    @Query(() => AuditEntryConnectionObject, {
      name: opts.field,
      description: `The tenant's audit log of ${opts.what}, newest first; pages of ${DEFAULT_PAGE}, at most ${MAX_PAGE}. Needs audit:read.`,
    })
    async auditLog(
      @Ctx() ctx: C,
      @Arg('filter', () => AuditFilterInput, { nullable: true }) filter: AuditFilterInput | null,
      @Args(() => RelayPageArgs) page: RelayPageArgs,
    ): Promise<AuditEntryConnectionObject> {
      requirePermission(ctx.identity, 'audit:read');
      return auditLogPage(opts.reader(ctx), ctx.tenantId(), filter ?? {}, page);
    }
  }
  return AuditLogResolver;
}
