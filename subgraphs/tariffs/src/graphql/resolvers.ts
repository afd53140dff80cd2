import { Arg, Args, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { AppError, auditActorOf, auditLogResolver, connectionOf, cursorCodec, ErrorCodes, pageWindow, RelayPageArgs, userErrorsOf } from '@evcs/platform';
import { z } from 'zod';
import type { TariffsContext } from '../context';
import { Exact } from '../domain/exact';
import { segmentsFromRecords, versionAt } from '../domain/plan';
import { MeterSample, SessionUsage } from '../domain/pricing';
import { isUuid } from '@evcs/platform';
import { NO_YKC_MODEL_NUMBER, toYkcBillingModel, toYkcPriceUnits, type YkcConversion, ykcModelNumber } from '../domain/ykc';
import { TariffImpactResolver } from './impact-resolvers';
import { toBinding, toPlan, toSessionPrice, toVersion } from './mappers';
import {
  BindChargerTariffInput,
  Charger,
  ChargerTariffBinding,
  ChargerTariffBindingPayload,
  CreateTariffPlanInput,
  EffectiveTariff,
  PriceSessionInput,
  ReviseTariffPlanInput,
  SessionPrice,
  Station,
  TariffPlan,
  TariffPlanConnection,
  TariffPlanPayload,
  TariffPlanVersion,
  TariffSegmentInput,
  TariffSource,
  YkcBillingModel,
  YkcPriceTier,
} from './types';

const badInput = (message: string) => new AppError(ErrorCodes.BAD_USER_INPUT, message);
const requireUuid = (v: string, what: string) => {
  if (!isUuid(v)) throw badInput(`${what} is not a UUID`);
};
const planCursor = cursorCodec(
  'tariff-plan',
  z.object({ s: z.string().refine((s) => s === '' || isUuid(s)), n: z.string().max(500), id: z.string().refine(isUuid) }),
);

async function planOrNull(ctx: TariffsContext, id: string): Promise<TariffPlan | null> {
  if (!isUuid(id)) return null;
  const row = await ctx.loaders.plan.load(id);
  return row ? toPlan(row) : null;
}

@Resolver(() => TariffPlan)
export class TariffPlanResolver {
  @Query(() => [TariffPlan], {
    description: "The caller's tariff plans: active ones unless includeRetired; of one station, or tenant-level only with tenantLevel: true.",
  })
  async tariffPlans(
    @Ctx() ctx: TariffsContext,
    @Arg('stationId', () => ID, { nullable: true }) stationId: string | null,
    @Arg('tenantLevel', { defaultValue: false }) tenantLevel: boolean,
    @Arg('includeRetired', { defaultValue: false }) includeRetired: boolean,
    @Arg('first', () => Int, { defaultValue: 50 }) first: number,
  ): Promise<TariffPlan[]> {
    if (first < 1 || first > 500) throw badInput('`first` must be between 1 and 500');
    if (stationId) requireUuid(stationId, 'stationId');
    const rows = await ctx.reads.tariffs.listPlans(ctx.readScope(), { stationId: tenantLevel ? null : (stationId ?? undefined), includeRetired, limit: first });
    return rows.map(toPlan);
  }

  @Query(() => TariffPlanConnection, {
    description: 'The same plans as tariffPlans, in the same order, a page at a time (Relay cursor pagination; pages of 50, at most 500).',
  })
  async tariffPlansConnection(
    @Ctx() ctx: TariffsContext,
    @Arg('stationId', () => ID, { nullable: true }) stationId: string | null,
    @Arg('tenantLevel', { defaultValue: false }) tenantLevel: boolean,
    @Arg('includeRetired', { defaultValue: false }) includeRetired: boolean,
    @Args(() => RelayPageArgs) page: RelayPageArgs,
  ): Promise<TariffPlanConnection> {
    const window = pageWindow(page, { codec: planCursor, defaultSize: 50 });
    if (stationId) requireUuid(stationId, 'stationId');
    const rows = await ctx.reads.tariffs.pagePlans(ctx.readScope(), { stationId: tenantLevel ? null : (stationId ?? undefined), includeRetired }, window);
    return connectionOf(rows, window, { key: (p) => ({ s: p.stationId ?? '', n: p.name, id: p.id }), node: toPlan });
  }

  @Query(() => TariffPlan, { nullable: true })
  tariffPlan(@Ctx() ctx: TariffsContext, @Arg('id', () => ID) id: string): Promise<TariffPlan | null> {
    return planOrNull(ctx, id);
  }

  @FieldResolver(() => [TariffPlanVersion], { description: 'Every version, oldest first' })
  async versions(@Root() plan: TariffPlan, @Ctx() ctx: TariffsContext): Promise<TariffPlanVersion[]> {
    return (await ctx.loaders.versionsByPlan.load(plan.id)).map((v) => toVersion(v, plan.currency));
  }

  @FieldResolver(() => TariffPlanVersion, { nullable: true, description: 'The version in force at `at` (default now)' })
  async versionAt(
    @Root() plan: TariffPlan,
    @Ctx() ctx: TariffsContext,
    @Arg('at', () => Date, { nullable: true }) at: Date | null,
  ): Promise<TariffPlanVersion | null> {
    const versions = await ctx.loaders.versionsByPlan.load(plan.id);
    return versions.length > 0 ? toVersion(versionAt(versions, (at ?? new Date()).getTime()), plan.currency) : null;
  }
}

@Resolver(() => TariffPlanVersion)
export class TariffPlanVersionResolver {
  @FieldResolver(() => YkcBillingModel, { description: 'This version as a YKC billing model, or the reasons it cannot be one' })
  ykcBillingModel(@Root() v: TariffPlanVersion): YkcBillingModel {
    return toYkcModelObject(toYkcBillingModel(segmentsFromRecords(v.segments), v.currency));
  }
}

function toYkcModelObject(r: YkcConversion): YkcBillingModel {
  return Object.assign(new YkcBillingModel(), {
    representable: r.ok,
    reasons: r.ok ? [] : r.reasons,
    modelNo: r.ok ? ykcModelNumber(r.model) : NO_YKC_MODEL_NUMBER,
    tiers: r.ok
      ? r.model.tiers.map((t) =>
          Object.assign(new YkcPriceTier(), {
            tier: t.tier,
            name: t.name,
            energyPrice: t.energyPrice.toFixed(4),
            serviceFee: t.serviceFee.toFixed(4),
            energyRate: toYkcPriceUnits(t.energyPrice),
            serviceRate: toYkcPriceUnits(t.serviceFee),
            used: t.used,
          }),
        )
      : [],
    slots: r.ok ? r.model.slots : [],
  });
}

@Resolver()
export class TariffMutationResolver {
  @Mutation(() => TariffPlanPayload, { description: 'A plan of a station (or, without stationId, of the tenant) with its version 1' })
  async createTariffPlan(@Ctx() ctx: TariffsContext, @Arg('input') input: CreateTariffPlanInput): Promise<TariffPlanPayload> {
    const r = await ctx.services.tariffs.createPlan(ctx.writeScope(), auditActorOf(ctx), {
      ...input,
      stationId: input.stationId ?? null,
      segments: input.segments.map((s) => ({ ...s })),
    });
    return r.ok
      ? { plan: toPlan(r.value.plan), version: toVersion(r.value.version, r.value.plan.currency), userErrors: [] }
      : { plan: null, version: null, userErrors: userErrorsOf(r) };
  }

  @Mutation(() => TariffPlanPayload, { description: 'Edit a plan: a new version, in force from effectiveFrom (default now); older versions stay readable' })
  async reviseTariffPlan(@Ctx() ctx: TariffsContext, @Arg('input') input: ReviseTariffPlanInput): Promise<TariffPlanPayload> {
    const r = await ctx.services.tariffs.revisePlan(ctx.writeScope(), auditActorOf(ctx), { ...input, segments: input.segments.map((s) => ({ ...s })) });
    return r.ok
      ? { plan: toPlan(r.value.plan), version: toVersion(r.value.version, r.value.plan.currency), userErrors: [] }
      : { plan: null, version: null, userErrors: userErrorsOf(r) };
  }

  @Mutation(() => TariffPlanPayload, { description: "Make a plan its station's (or the tenant's) default" })
  async setDefaultTariffPlan(@Ctx() ctx: TariffsContext, @Arg('planId', () => ID) planId: string): Promise<TariffPlanPayload> {
    const r = await ctx.services.tariffs.setDefaultPlan(ctx.writeScope(), auditActorOf(ctx), planId);
    return r.ok ? { plan: toPlan(r.value), version: null, userErrors: [] } : { plan: null, version: null, userErrors: userErrorsOf(r) };
  }

  @Mutation(() => TariffPlanPayload, { description: 'Retire a plan (it no longer counts towards the 16 per station); refused while chargers are bound to it' })
  async retireTariffPlan(@Ctx() ctx: TariffsContext, @Arg('planId', () => ID) planId: string): Promise<TariffPlanPayload> {
    const r = await ctx.services.tariffs.retirePlan(ctx.writeScope(), auditActorOf(ctx), planId);
    return r.ok ? { plan: toPlan(r.value), version: null, userErrors: [] } : { plan: null, version: null, userErrors: userErrorsOf(r) };
  }

  @Mutation(() => ChargerTariffBindingPayload, { description: 'Bind a charger to a plan of its station or of the tenant' })
  async bindChargerTariff(@Ctx() ctx: TariffsContext, @Arg('input') input: BindChargerTariffInput): Promise<ChargerTariffBindingPayload> {
    const r = await ctx.services.tariffs.bindCharger(ctx.writeScope(), auditActorOf(ctx), { ...input });
    return r.ok ? { binding: toBinding(r.value), userErrors: [] } : { binding: null, userErrors: userErrorsOf(r) };
  }

  @Mutation(() => ChargerTariffBindingPayload, { description: "Remove a charger's binding: its station's or the tenant's default applies again" })
  async unbindChargerTariff(@Ctx() ctx: TariffsContext, @Arg('chargerId', () => ID) chargerId: string): Promise<ChargerTariffBindingPayload> {
    const r = await ctx.services.tariffs.unbindCharger(ctx.writeScope(), auditActorOf(ctx), chargerId);
    return r.ok ? { binding: r.value ? toBinding(r.value) : null, userErrors: [] } : { binding: null, userErrors: userErrorsOf(r) };
  }
}

@Resolver(() => ChargerTariffBinding)
export class BindingResolver {
  @Query(() => ChargerTariffBinding, { nullable: true, description: "A charger's own binding, if it has one" })
  async chargerTariffBinding(@Ctx() ctx: TariffsContext, @Arg('chargerId', () => ID) chargerId: string): Promise<ChargerTariffBinding | null> {
    if (!isUuid(chargerId)) return null;
    const b = await ctx.loaders.bindingByCharger.load(chargerId);
    return b ? toBinding(b) : null;
  }

  @FieldResolver(() => TariffPlan, { nullable: true })
  plan(@Root() b: ChargerTariffBinding, @Ctx() ctx: TariffsContext): Promise<TariffPlan | null> {
    return planOrNull(ctx, b.planId);
  }
}

@Resolver(() => EffectiveTariff)
export class PricingResolver {
  @Query(() => EffectiveTariff, {
    nullable: true,
    description: "The plan that prices a charger: its binding, else its station's default, else the tenant's default",
  })
  async effectiveTariff(
    @Ctx() ctx: TariffsContext,
    @Arg('chargerId', () => ID) chargerId: string,
    @Arg('stationId', () => ID, { nullable: true }) stationId: string | null,
  ): Promise<EffectiveTariff | null> {
    const scope = ctx.readScope();
    const r = await ctx.services.tariffs.resolve(scope.tenantId, chargerId, stationId ?? null);
    return r ? Object.assign(new EffectiveTariff(), { source: r.source as TariffSource, planId: r.planId }) : null;
  }

  @FieldResolver(() => TariffPlan, { nullable: true })
  plan(@Root() e: EffectiveTariff, @Ctx() ctx: TariffsContext): Promise<TariffPlan | null> {
    return planOrNull(ctx, e.planId);
  }

  @Query(() => YkcBillingModel, {
    description:
      "A draft day's segments as a YKC billing model, or every reason a YKC pile could not hold them — the check publishing a version and binding a YKC pile make, asked while the draft is edited. The segments must cover the day without gaps or overlaps (BAD_USER_INPUT otherwise). Needs tariff:read.",
  })
  ykcBillingModelOfDraft(
    @Ctx() ctx: TariffsContext,
    @Arg('segments', () => [TariffSegmentInput]) segments: TariffSegmentInput[],
    @Arg('currency', () => String, { defaultValue: 'CNY', description: 'ISO 4217; YKC piles bill in CNY' }) currency: string,
  ): YkcBillingModel {
    ctx.readScope();
    return toYkcModelObject(ctx.services.tariffs.ykcCheck(segments, currency));
  }

  @Query(() => SessionPrice, {
    description:
      'The cost of a session on a charger, priced with the plan billing resolves for it (the same engine orders uses). Give energyWh, or meterSamples from start to stop.',
  })
  async priceSession(@Ctx() ctx: TariffsContext, @Arg('input') input: PriceSessionInput): Promise<SessionPrice> {
    const scope = ctx.readScope();
    const usage: SessionUsage = {
      startedAt: input.startedAt,
      stoppedAt: input.stoppedAt,
      ...(input.energyWh != null ? { energyWh: Exact.parse(input.energyWh) } : {}),
      ...(input.meterSamples ? { meterSamples: input.meterSamples.map((s): MeterSample => ({ at: s.at, meterWh: Exact.parse(s.meterWh) })) } : {}),
    };
    return toSessionPrice(
      await ctx.services.tariffs.priceSession(scope.tenantId, {
        chargerId: input.chargerId,
        stationId: input.stationId ?? null,
        usage,
        draftSegments: input.draftSegments ?? null,
      }),
    );
  }
}

@Resolver(() => Charger)
export class ChargerEntityResolver {
  @FieldResolver(() => ChargerTariffBinding, {
    nullable: true,
    description: "The charger's own tariff binding (null: its station's or the tenant's default applies)",
  })
  async tariffBinding(@Root() c: Charger, @Ctx() ctx: TariffsContext): Promise<ChargerTariffBinding | null> {
    if (!isUuid(c.id)) return null;
    const b = await ctx.loaders.bindingByCharger.load(c.id);
    return b ? toBinding(b) : null;
  }
}

@Resolver(() => Station)
export class StationEntityResolver {
  @FieldResolver(() => [TariffPlan], { description: "The station's active tariff plans" })
  async tariffPlans(@Root() s: Station, @Ctx() ctx: TariffsContext): Promise<TariffPlan[]> {
    if (!isUuid(s.id)) return [];
    return (await ctx.reads.tariffs.listPlans(ctx.readScope(), { stationId: s.id, includeRetired: false, limit: 16 })).map(toPlan);
  }
}

export const resolvers = [
  TariffPlanResolver,
  TariffPlanVersionResolver,
  TariffMutationResolver,
  BindingResolver,
  PricingResolver,
  ChargerEntityResolver,
  StationEntityResolver,
  TariffImpactResolver,
  auditLogResolver<TariffsContext>({ field: 'tariffAuditLog', what: 'tariff plans and charger bindings', reader: (ctx) => ctx.reads.audit }),
] as const;

/** Entity references the router hands us. Charger and Station are assets' entities: we only add fields. */
export const referenceResolvers = {
  TariffPlan: { __resolveReference: (ref: { id: string }, ctx: TariffsContext) => planOrNull(ctx, ref.id) },
  Charger: { __resolveReference: (ref: { id: string }) => Object.assign(new Charger(), { id: ref.id }) },
  Station: { __resolveReference: (ref: { id: string }) => Object.assign(new Station(), { id: ref.id }) },
};
