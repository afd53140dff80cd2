import { Arg, Ctx, Query, Resolver } from 'type-graphql';
import { energyObject, moneyObject, userErrorsOf } from '@evcs/platform';
import type { TariffsContext } from '../context';
import type { ImpactTotals, TariffImpact as DomainImpact } from '../domain/impact';
import { TariffImpact, TariffImpactHour, TariffImpactInput, TariffImpactPayload, TariffImpactTotals } from './impact-types';

const totals = <T extends TariffImpactTotals>(into: T, t: ImpactTotals): T =>
  Object.assign(into, {
    sessions: t.sessions,
    energy: energyObject(t.energyWh.toString()),
    billed: moneyObject(t.billed),
    draft: moneyObject(t.draft),
    difference: moneyObject(t.difference),
  });

const toImpact = (i: DomainImpact): TariffImpact =>
  Object.assign(new TariffImpact(), {
    stationId: i.stationId,
    from: i.from,
    to: i.to,
    currency: i.currency,
    timezone: i.timezone,
    total: totals(new TariffImpactTotals(), i.total),
    hours: i.hours.map((h) => Object.assign(totals(new TariffImpactHour(), h), { hour: h.hour })),
    otherCurrencySessions: i.otherCurrencySessions,
    unpricedSessions: i.unpricedSessions,
  });

@Resolver()
export class TariffImpactResolver {
  @Query(() => TariffImpactPayload, {
    description:
      "What a draft plan would have charged a station's completed sessions in a window, against what they were billed: totals and per local hour (tariff:write; nothing is changed).",
  })
  async tariffImpact(@Ctx() ctx: TariffsContext, @Arg('input') input: TariffImpactInput): Promise<TariffImpactPayload> {
    const r = await ctx.services.impact.impact(ctx.writeScope(), { ...input, segments: input.segments.map((s) => ({ ...s })) });
    return r.ok ? { impact: toImpact(r.value), userErrors: [] } : { impact: null, userErrors: userErrorsOf(r) };
  }
}
