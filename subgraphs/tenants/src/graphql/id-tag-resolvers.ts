import { Arg, Args, Ctx, Directive, ID, Mutation, Query, Resolver } from 'type-graphql';
import {
  AppError,
  connectionOf,
  cursorCodec,
  ErrorCodes,
  isUuid,
  pageWindow,
  parseArgs,
  RelayPageArgs,
  requireServiceScope,
  userErrorsOf,
} from '@evcs/platform';
import { z } from 'zod';
import type { TenantsContext } from '../context';
import type { IdTagFilter as DomainFilter } from '../domain/ports';
import { idTagKey, type IdTagPolicy as DomainPolicy, type IdTagRecord } from '../domain/id-tag-rules';
import { type Outcome } from '@evcs/platform';
import {
  AuthorizationStatus,
  CreateIdTagInput,
  IdTag,
  IdTagAuthorization,
  IdTagConnection,
  IdTagExport,
  IdTagFilter,
  IdTagPayload,
  IdTagPolicy,
  IdTagPolicyInput,
  IdTagPolicyPayload,
  IdTagStatus,
  ImportIdTagsInput,
  ImportIdTagsPayload,
  LocalAuthList,
  UpdateIdTagInput,
} from './id-tag-types';

const toIdTag = (t: IdTagRecord): IdTag => Object.assign(new IdTag(), { ...t, status: t.status as IdTagStatus });
const toPolicy = (p: DomainPolicy): IdTagPolicy => Object.assign(new IdTagPolicy(), p);
const tagPayload = (out: Outcome<IdTagRecord>): IdTagPayload =>
  Object.assign(new IdTagPayload(), { idTag: out.ok ? toIdTag(out.value) : null, userErrors: userErrorsOf(out) });

const idTagCursor = cursorCodec('idtag', z.object({ t: z.string().refine(isUuid), k: z.string().max(20) }));

const filterArgs = z
  .object({
    userId: z
      .string()
      .refine((id) => !id || isUuid(id), 'filter.userId is not a UUID')
      .nullish(),
    search: z.string().max(20, 'filter.search is at most 20 characters').nullish(),
  })
  .nullish();

function filterOf(f: IdTagFilter | null): DomainFilter {
  parseArgs(filterArgs, f);
  return { ...(f?.status ? { status: f.status } : {}), ...(f?.userId ? { userId: f.userId.toLowerCase() } : {}), ...(f?.search ? { search: f.search } : {}) };
}

function serviceOnly(ctx: TenantsContext, what: string, tenantId: string): void {
  requireServiceScope(ctx.identity, 'idtag:authorize', what);
  if (!isUuid(tenantId)) throw new AppError(ErrorCodes.BAD_USER_INPUT, 'tenantId is not a UUID');
}

@Resolver(() => IdTag)
export class IdTagResolver {
  @Query(() => IdTagConnection, {
    description: 'Id tags within your data scope (idtag:read), by tenant and value; pages of 50, at most 500. SELF sees its own tags only.',
  })
  async idTags(
    @Ctx() ctx: TenantsContext,
    @Arg('filter', () => IdTagFilter, { nullable: true }) filter: IdTagFilter | null,
    @Args(() => RelayPageArgs) page: RelayPageArgs,
  ): Promise<IdTagConnection> {
    const window = pageWindow(page, { codec: idTagCursor, defaultSize: 50 });
    const { cursor } = window;
    const rows = await ctx.services.idTags.list(ctx.readScope('idtag:read'), filterOf(filter), {
      ...window,
      cursor: cursor && { tenantId: cursor.t, key: cursor.k },
    });
    return connectionOf(rows, window, { key: (t) => ({ t: t.tenantId, k: idTagKey(t.value) }), node: toIdTag });
  }

  @Query(() => IdTag, { nullable: true, description: 'One of your tenant’s tags by value, regardless of case (idtag:read).' })
  async idTag(@Arg('value') value: string, @Ctx() ctx: TenantsContext): Promise<IdTag | null> {
    const t = await ctx.services.idTags.get(ctx.readScope('idtag:read'), value);
    return t ? toIdTag(t) : null;
  }

  @Query(() => IdTagExport, { description: 'Your tenant’s tags as CSV, the format importIdTags reads (idtag:read, tenant-wide scope). Audited.' })
  async exportIdTags(@Ctx() ctx: TenantsContext, @Arg('filter', () => IdTagFilter, { nullable: true }) filter: IdTagFilter | null): Promise<IdTagExport> {
    return Object.assign(new IdTagExport(), await ctx.services.idTags.export(ctx.actor(), filterOf(filter), ctx.meta));
  }

  @Query(() => IdTagPolicy, { description: 'How your tenant answers unknown tags (idtag:read).' })
  async idTagPolicy(@Ctx() ctx: TenantsContext): Promise<IdTagPolicy> {
    return toPolicy(await ctx.services.idTags.policy(ctx.actor(), ctx.meta));
  }

  @Mutation(() => IdTagPayload, { description: 'Register a tag in your tenant (idtag:write). Audited; chargers’ local lists follow.' })
  async createIdTag(@Arg('input') input: CreateIdTagInput, @Ctx() ctx: TenantsContext): Promise<IdTagPayload> {
    return tagPayload(await ctx.services.idTags.create(ctx.actor(), input, ctx.meta));
  }

  @Mutation(() => IdTagPayload, { description: 'Change a tag’s status, expiry, parent or user (idtag:write). Block a card here. Audited.' })
  async updateIdTag(@Arg('input') input: UpdateIdTagInput, @Ctx() ctx: TenantsContext): Promise<IdTagPayload> {
    return tagPayload(await ctx.services.idTags.update(ctx.actor(), input, ctx.meta));
  }

  @Mutation(() => IdTagPayload, { description: 'Forget a tag (idtag:write): it becomes unknown (Invalid). To refuse a card, block it instead. Audited.' })
  async deleteIdTag(@Arg('value') value: string, @Ctx() ctx: TenantsContext): Promise<IdTagPayload> {
    return tagPayload(await ctx.services.idTags.delete(ctx.actor(), value, ctx.meta));
  }

  @Mutation(() => ImportIdTagsPayload, {
    description: 'Create or update many tags (idtag:write), all or nothing: every row is checked and every problem reported as rows[i].field. Audited per tag.',
  })
  async importIdTags(@Arg('input') input: ImportIdTagsInput, @Ctx() ctx: TenantsContext): Promise<ImportIdTagsPayload> {
    const out = await ctx.services.idTags.import(ctx.actor(), input, ctx.meta);
    return Object.assign(new ImportIdTagsPayload(), { ...(out.ok ? out.value : { created: 0, updated: 0, unchanged: 0 }), userErrors: userErrorsOf(out) });
  }

  @Mutation(() => IdTagPolicyPayload, { description: 'Set free vending for your tenant (idtag:write). Audited.' })
  async setIdTagPolicy(@Arg('input') input: IdTagPolicyInput, @Ctx() ctx: TenantsContext): Promise<IdTagPolicyPayload> {
    const out = await ctx.services.idTags.setPolicy(ctx.actor(), input, ctx.meta);
    return Object.assign(new IdTagPolicyPayload(), { policy: out.ok ? toPolicy(out.value) : null, userErrors: userErrorsOf(out) });
  }

  @Directive('@inaccessible')
  @Query(() => IdTagAuthorization, { description: 'Internal: what a charger of the tenant is told for idTag (service identities only: the protocol bridge).' })
  async authorizeIdTag(
    @Arg('tenantId', () => ID) tenantId: string,
    @Arg('idTag') idTag: string,
    @Arg('stationId', () => ID, { nullable: true }) stationId: string | null,
    @Ctx() ctx: TenantsContext,
  ): Promise<IdTagAuthorization> {
    serviceOnly(ctx, 'authorizeIdTag', tenantId);
    const a = await ctx.services.idTags.authorize(tenantId, idTag, stationId);
    return Object.assign(new IdTagAuthorization(), { ...a, status: a.status as AuthorizationStatus });
  }

  @Directive('@inaccessible')
  @Query(() => LocalAuthList, { description: 'Internal: the tenant’s whole OCPP local authorization list (service identities only).' })
  async localAuthList(@Arg('tenantId', () => ID) tenantId: string, @Ctx() ctx: TenantsContext): Promise<LocalAuthList> {
    serviceOnly(ctx, 'localAuthList', tenantId);
    const l = await ctx.services.idTags.localList(tenantId);
    return {
      version: l.version,
      entries: l.entries.map((e) => ({
        idTag: e.idTag,
        status: e.status as AuthorizationStatus,
        expiryDate: e.expiryDate ?? null,
        parentIdTag: e.parentIdTag ?? null,
      })),
    };
  }
}
