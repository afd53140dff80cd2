import { AppError, ErrorCodes, fail, isUuid, money, type Money, type Outcome } from '@evcs/platform';
import { Exact } from './exact';
import { floorToQuarter, localSlotOf } from './local-time';
import { PricedPlan, SegmentInput, UserError, validateCurrency, validateSegments, validateTimezone } from './plan';
import { priceSession, PricingInputError, SessionUsage } from './pricing';
import type { CompletedSessions, CompletedSessionUsage, TariffWriteScope } from './ports';
import { DEFAULT_TIMEZONE, TariffErrorCodes } from './tariff-service';

/**
 * What a draft plan would have charged a station's completed sessions, against what they
 * were billed: the sessions are read from orders a page at a time (keyset cursor, oldest
 * first), each page priced in memory with the one pricing engine and folded into running
 * totals, so memory is bounded by the page size however long the window. The next page is
 * asked for while the current one is priced.
 *
 * Money stays exact: each session's draft total is the engine's (rounded once, half-up, as a
 * bill would be), and totals are sums of minor units in BigInt.
 */

/** Longest window one impact covers (a quarter and a bit; orders holds the same bound). */
export const MAX_IMPACT_WINDOW_MS = 93 * 86_400_000;
/** Sessions per page asked of orders. */
export const IMPACT_PAGE_SIZE = 1000;
const HOURS = 24;

export interface TariffImpactCommand {
  stationId: string;
  segments: SegmentInput[];
  /** the draft's currency (default CNY); sessions billed in another currency are not compared */
  currency?: string | null;
  /** the draft's IANA zone: its segments' wall clock, and the zone of the per-hour breakdown (default Asia/Shanghai) */
  timezone?: string | null;
  from: Date;
  to: Date;
}

/** Sums of one group of sessions (all of them, or those that started in one local hour of the day). */
export interface ImpactTotals {
  sessions: number;
  /** exact integer Wh */
  energyWh: bigint;
  billed: Money;
  draft: Money;
  /** draft − billed */
  difference: Money;
}

export interface HourImpact extends ImpactTotals {
  /** 0–23: the local hour of the day (in `timezone`) the sessions started in */
  hour: number;
}

export interface TariffImpact {
  stationId: string;
  from: Date;
  to: Date;
  currency: string;
  timezone: string;
  total: ImpactTotals;
  /** all 24 hours of the local day, 0 first, empty ones included */
  hours: HourImpact[];
  /** sessions billed in another currency than the draft's: not compared */
  otherCurrencySessions: number;
  /** sessions the engine cannot price (e.g. longer than 31 days): not compared */
  unpricedSessions: number;
}

class Acc {
  sessions = 0;
  energyWh = 0n;
  billed = 0n;
  draft = 0n;
  add(energyWh: bigint, billed: bigint, draft: bigint): void {
    this.sessions += 1;
    this.energyWh += energyWh;
    this.billed += billed;
    this.draft += draft;
  }
  totals(currency: string): ImpactTotals {
    return {
      sessions: this.sessions,
      energyWh: this.energyWh,
      billed: money(this.billed, currency),
      draft: money(this.draft, currency),
      difference: money(this.draft - this.billed, currency),
    };
  }
}

/** The running totals of one impact: fold sessions in, in any number of batches. */
export class ImpactAccumulator {
  private readonly total = new Acc();
  private readonly hours = Array.from({ length: HOURS }, () => new Acc());
  private otherCurrency = 0;
  private unpriced = 0;

  constructor(private readonly plan: PricedPlan) {}

  add(s: CompletedSessionUsage): void {
    if (s.billed.currency !== this.plan.currency) {
      this.otherCurrency += 1;
      return;
    }
    let draft: Money;
    try {
      draft = priceSession(this.plan, usageOf(s)).total;
    } catch (e) {
      // a session the engine refuses (it was billed some other way, or not at all): counted, not compared
      if (e instanceof PricingInputError) {
        this.unpriced += 1;
        return;
      }
      throw e;
    }
    const energyWh = BigInt(s.energyWh);
    const billed = BigInt(s.billed.minor);
    this.total.add(energyWh, billed, BigInt(draft.minor));
    // Offsets are whole quarter-hours (see local-time.ts), so the quarter's local slot names the hour.
    const hour = Math.floor(localSlotOf(this.plan.timezone, floorToQuarter(s.startedAt.getTime())) / 4);
    this.hours[hour].add(energyWh, billed, BigInt(draft.minor));
  }

  result(head: Pick<TariffImpact, 'stationId' | 'from' | 'to'>): TariffImpact {
    const c = this.plan.currency;
    return {
      ...head,
      currency: c,
      timezone: this.plan.timezone,
      total: this.total.totals(c),
      hours: this.hours.map((h, hour) => ({ hour, ...h.totals(c) })),
      otherCurrencySessions: this.otherCurrency,
      unpricedSessions: this.unpriced,
    };
  }
}

/** The usage as orders has the pricer price it: meter samples when there are two or more readings, else the total spread evenly. */
export function usageOf(s: CompletedSessionUsage): SessionUsage {
  const base = { startedAt: s.startedAt, stoppedAt: s.stoppedAt };
  return s.readings.length >= 2
    ? { ...base, meterSamples: s.readings.map((r) => ({ at: r.at, meterWh: Exact.parse(r.registerWh) })) }
    : { ...base, energyWh: Exact.parse(s.energyWh) };
}

/** A draft's plan as the engine sees it: one version, in force over the whole window. */
export const draftPlan = (segments: PricedPlan['versions'][number]['segments'], currency: string, timezone: string): PricedPlan => ({
  id: 'draft',
  currency,
  timezone,
  versions: [{ version: 1, effectiveFrom: new Date(0), segments }],
});

export class TariffImpactService {
  constructor(
    /** Where completed sessions come from (orders). Without it, tariffImpact is unavailable. */
    private readonly sessions?: CompletedSessions,
    private readonly pageSize = IMPACT_PAGE_SIZE,
  ) {}

  async impact(scope: TariffWriteScope, cmd: TariffImpactCommand): Promise<Outcome<TariffImpact>> {
    const checked = checkCommand(cmd);
    if (!checked.ok) return checked;
    if (scope.stationIds !== null && !scope.stationIds.includes(cmd.stationId)) {
      return fail(TariffErrorCodes.OUT_OF_SCOPE, 'stationId', `station ${cmd.stationId} is not among your assigned stations`);
    }
    if (!this.sessions) throw new AppError(ErrorCodes.DEPENDENCY_UNAVAILABLE, 'completed sessions (orders) are not configured', { retriable: false });
    const acc = new ImpactAccumulator(checked.value);
    const window = { from: cmd.from, to: cmd.to };
    const fetch = (after: string | null) => this.sessions!.page(scope.tenantId, cmd.stationId, window, { first: this.pageSize, after });
    let next = fetch(null);
    for (;;) {
      const page = await next;
      // ask for the next page before pricing this one: orders reads while we compute
      if (page.hasNextPage) next = fetch(page.endCursor);
      try {
        for (const s of page.sessions) acc.add(s);
      } catch (e) {
        // the page asked for ahead is abandoned: its failure, if any, is not this request's to report
        next.catch(() => undefined);
        throw e;
      }
      if (!page.hasNextPage) break;
    }
    return { ok: true, value: acc.result({ stationId: cmd.stationId, from: cmd.from, to: cmd.to }) };
  }
}

/** Every problem of the command at once; the draft's segments, currency and zone exactly as createTariffPlan checks them. */
function checkCommand(cmd: TariffImpactCommand): Outcome<PricedPlan> {
  const errors: UserError[] = [];
  if (!isUuid(cmd.stationId)) errors.push({ code: TariffErrorCodes.INVALID_ID, field: 'stationId', message: 'stationId is not a UUID' });
  const currency = cmd.currency ?? 'CNY';
  const cur = validateCurrency(currency);
  if (cur) errors.push(cur);
  const timezone = cmd.timezone ?? DEFAULT_TIMEZONE;
  const tz = validateTimezone(timezone);
  if (tz) errors.push(tz);
  const segs = validateSegments(cmd.segments);
  if (!segs.ok) errors.push(...segs.errors);
  const span = cmd.to.getTime() - cmd.from.getTime();
  if (!(span > 0)) {
    errors.push({ code: TariffErrorCodes.INVALID_WINDOW, field: 'to', message: `to (${iso(cmd.to)}) must be after from (${iso(cmd.from)})` });
  } else if (span > MAX_IMPACT_WINDOW_MS) {
    errors.push({ code: TariffErrorCodes.INVALID_WINDOW, field: 'to', message: 'a tariff impact covers at most 93 days' });
  }
  if (errors.length > 0 || !segs.ok) return { ok: false, errors };
  return { ok: true, value: draftPlan(segs.segments, currency, timezone) };
}

const iso = (d: Date) => (Number.isFinite(d.getTime()) ? d.toISOString() : String(d));
