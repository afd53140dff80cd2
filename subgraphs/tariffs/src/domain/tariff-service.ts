import { randomUUID } from 'node:crypto';
import type { TariffEvent } from '@evcs/events';
import { AppError, type AuditActor, defineCodes, ErrorCodes, fail, isUuid, Logger, type Outcome } from '@evcs/platform';
import { PlanCache } from './plan-cache';
import {
  PricedPlan,
  SegmentInput,
  segmentsFromRecords,
  segmentToRecord,
  UserError,
  validateCurrency,
  validateSegments,
  validateTimezone,
  versionAt,
} from './plan';
import { priceSession, SessionPrice, SessionUsage } from './pricing';
import type {
  BindingRecord,
  ChargerLookup,
  ChargerProtocol,
  PlanRecord,
  Resolution,
  OutboxSignal,
  TariffStore,
  TariffTx,
  TariffWriteScope,
  VersionRecord,
} from './ports';
import { toYkcBillingModel, type YkcConversion } from './ykc';

/** At most this many ACTIVE plans per station (the legacy system's rule, now enforced). */
export const MAX_ACTIVE_PLANS_PER_STATION = 16;
export const DEFAULT_TIMEZONE = 'Asia/Shanghai';

export const TariffErrorCodes = defineCodes({
  NOT_FOUND: 'The plan, version or binding does not exist in this tenant.',
  PLAN_LIMIT_REACHED: `A station has at most ${MAX_ACTIVE_PLANS_PER_STATION} active plans.`,
  PLAN_RETIRED: 'The plan is retired; it can neither be revised nor bound.',
  PLAN_BOUND: 'The plan is bound to chargers; unbind them before retiring it.',
  STATION_MISMATCH: "The plan belongs to another station than the charger's.",
  PROTOCOL_MISMATCH: 'The protocol given for the charger is not the one assets has for it.',
  INVALID_EFFECTIVE_FROM: '`effectiveFrom` is in the past or before the current version.',
  INVALID_NAME: 'The plan name is empty or too long.',
  INVALID_ID: 'Not a valid id.',
  YKC_UNREPRESENTABLE: "The plan (or new version) cannot be represented as a YKC pile's billing model, and YKC piles are bound to it; the message says why.",
  OUT_OF_SCOPE: "The station or charger is outside the caller's stations.",
  INVALID_WINDOW: '`to` is not after `from`, or the window is longer than a tariff impact covers (93 days).',
});

export type { Outcome } from '@evcs/platform';

export interface CreatePlanCommand {
  stationId: string | null;
  name: string;
  currency: string;
  timezone?: string | null;
  isDefault: boolean;
  segments: SegmentInput[];
  effectiveFrom?: Date | null;
}
export interface RevisePlanCommand {
  planId: string;
  segments: SegmentInput[];
  effectiveFrom?: Date | null;
}
export interface BindChargerCommand {
  chargerId: string;
  planId: string;
  /** Deprecated: what the client believes; checked against assets, never used. */
  stationId?: string | null;
  protocol?: ChargerProtocol | null;
}
export interface PriceSessionCommand {
  chargerId: string;
  /** the charger's station, for the station-default fallback when the charger has no binding */
  stationId?: string | null;
  usage: SessionUsage;
  /** A draft priced instead of the resolved plan's versions (an editor's preview): as version 0, in force throughout */
  draftSegments?: readonly SegmentInput[] | null;
}
export interface PlanWithVersion {
  plan: PlanRecord;
  version: VersionRecord;
}
export interface PricedSession {
  price: SessionPrice;
  resolution: Resolution;
}

interface CachedPlan {
  plan: PlanRecord;
  priced: PricedPlan;
}

/** What versions and bindings keep of who made them (as before the audit trail: kind:subject). */
const createdBy = (actor: AuditActor) => `${actor.type.toLowerCase()}:${actor.id}`;
/** What the audit trail keeps of a plan row. */
const planFacts = (p: PlanRecord) => ({
  name: p.name,
  stationId: p.stationId,
  currency: p.currency,
  timezone: p.timezone,
  status: p.status,
  isDefault: p.isDefault,
});
const bindingFacts = (b: BindingRecord) => ({ planId: b.planId, stationId: b.stationId, protocol: b.protocol });

/**
 * Tariff plans, versions, bindings and pricing. Every method takes the tenant
 * first; nothing falls back to a default tenant. Business failures come back as
 * user errors; events are enqueued in the outbox with each change.
 */
export class TariffService {
  constructor(
    private readonly store: TariffStore,
    private readonly outbox: OutboxSignal,
    private readonly cache: PlanCache,
    private readonly logger: Logger,
    private readonly clock: () => Date = () => new Date(),
    /** Where bindings learn the charger's station and protocol (assets). Without it, binding is unavailable. */
    private readonly chargers?: ChargerLookup,
  ) {}

  async createPlan(scope: TariffWriteScope, actor: AuditActor, cmd: CreatePlanCommand): Promise<Outcome<PlanWithVersion>> {
    const tenantId = scope.tenantId;
    const errors: UserError[] = [];
    const name = cmd.name.trim();
    if (name.length === 0 || name.length > 100) errors.push({ code: TariffErrorCodes.INVALID_NAME, field: 'name', message: 'name must be 1–100 characters' });
    if (cmd.stationId !== null && !isUuid(cmd.stationId))
      errors.push({ code: TariffErrorCodes.INVALID_ID, field: 'stationId', message: 'stationId is not a UUID' });
    const cur = validateCurrency(cmd.currency);
    if (cur) errors.push(cur);
    const timezone = cmd.timezone ?? DEFAULT_TIMEZONE;
    const tz = validateTimezone(timezone);
    if (tz) errors.push(tz);
    const segs = validateSegments(cmd.segments);
    if (!segs.ok) errors.push(...segs.errors);
    const effectiveFrom = this.checkEffectiveFrom(cmd.effectiveFrom, null, errors);
    if (errors.length > 0 || !segs.ok) return { ok: false, errors };
    if (!this.stationInScope(scope, cmd.stationId)) return fail(TariffErrorCodes.OUT_OF_SCOPE, 'stationId', outOfScopeMessage(cmd.stationId));

    return this.changeInTenant(
      tenantId,
      async (tx): Promise<Outcome<PlanWithVersion>> => {
        await tx.lockPlanSet(cmd.stationId);
        if (cmd.stationId !== null) {
          const active = await tx.countActivePlans(cmd.stationId);
          if (active >= MAX_ACTIVE_PLANS_PER_STATION) {
            return fail(
              TariffErrorCodes.PLAN_LIMIT_REACHED,
              'stationId',
              `station ${cmd.stationId} already has ${active} active plans; at most ${MAX_ACTIVE_PLANS_PER_STATION} (retire one first)`,
            );
          }
        }
        if (cmd.isDefault) await tx.clearDefaults(cmd.stationId, null);
        const plan = await tx.insertPlan({ stationId: cmd.stationId, name, currency: cmd.currency, timezone, isDefault: cmd.isDefault });
        const version = await tx.insertVersion({
          planId: plan.id,
          version: 1,
          effectiveFrom,
          segments: segs.segments.map(segmentToRecord),
          createdBy: createdBy(actor),
        });
        await tx.audit({
          actor,
          action: 'TARIFF_PLAN_CREATED',
          target: { type: 'tariff-plan', id: plan.id },
          after: { ...planFacts(plan), version: version.version, effectiveFrom: version.effectiveFrom, segments: version.segments },
        });
        return { ok: true, value: { plan, version } };
      },
      (v) => [this.planEvent(tenantId, v.plan, 'CREATED', v.version), ...(cmd.isDefault ? [this.planEvent(tenantId, v.plan, 'DEFAULT_CHANGED')] : [])],
    );
  }

  /** Editing a plan: a new immutable version, in force from `effectiveFrom` (default now). Old versions stay readable. */
  async revisePlan(scope: TariffWriteScope, actor: AuditActor, cmd: RevisePlanCommand): Promise<Outcome<PlanWithVersion>> {
    const tenantId = scope.tenantId;
    if (!isUuid(cmd.planId)) return fail(TariffErrorCodes.INVALID_ID, 'planId', 'planId is not a UUID');
    const segs = validateSegments(cmd.segments);
    if (!segs.ok) return { ok: false, errors: segs.errors };
    return this.changeInTenant(
      tenantId,
      async (tx): Promise<Outcome<PlanWithVersion>> => {
        // The plan, locked, with its versions and its YKC bindings: everything the revision is checked against.
        const graph = await tx.lockPlanGraph(cmd.planId, 'YKC');
        if (!graph || !this.stationInScope(scope, graph.plan.stationId)) return fail(TariffErrorCodes.NOT_FOUND, 'planId', `no tariff plan ${cmd.planId}`);
        const { plan, versions, bindings: ykc } = graph;
        if (plan.status !== 'ACTIVE') return fail(TariffErrorCodes.PLAN_RETIRED, 'planId', `plan "${plan.name}" is retired and cannot be edited`);
        const latest = versions[versions.length - 1];
        const errors: UserError[] = [];
        const effectiveFrom = this.checkEffectiveFrom(cmd.effectiveFrom, latest, errors);
        if (errors.length > 0) return { ok: false, errors };
        if (ykc.length > 0) {
          const conv = toYkcBillingModel(segs.segments, plan.currency);
          if (!conv.ok) {
            return fail(
              TariffErrorCodes.YKC_UNREPRESENTABLE,
              'segments',
              `plan "${plan.name}" is bound to ${ykc.length} YKC charger(s) and this version cannot be represented on them: ${conv.reasons.join('; ')}`,
            );
          }
        }
        const version = await tx.insertVersion({
          planId: plan.id,
          version: latest.version + 1,
          effectiveFrom,
          segments: segs.segments.map(segmentToRecord),
          createdBy: createdBy(actor),
        });
        const updated = await tx.updatePlan(plan.id, {});
        await tx.audit({
          actor,
          action: 'TARIFF_PLAN_REVISED',
          target: { type: 'tariff-plan', id: plan.id },
          before: { version: latest.version, effectiveFrom: latest.effectiveFrom, segments: latest.segments },
          after: { version: version.version, effectiveFrom: version.effectiveFrom, segments: version.segments },
        });
        return { ok: true, value: { plan: updated, version } };
      },
      (v) => [this.planEvent(tenantId, v.plan, 'VERSIONED', v.version)],
    );
  }

  async setDefaultPlan(scope: TariffWriteScope, actor: AuditActor, planId: string): Promise<Outcome<PlanRecord>> {
    if (!isUuid(planId)) return fail(TariffErrorCodes.INVALID_ID, 'planId', 'planId is not a UUID');
    return this.changeInTenant(
      scope.tenantId,
      async (tx): Promise<Outcome<PlanRecord>> => {
        const found = await tx.lockPlan(planId);
        if (!found || !this.stationInScope(scope, found.stationId)) return fail(TariffErrorCodes.NOT_FOUND, 'planId', `no tariff plan ${planId}`);
        if (found.status !== 'ACTIVE') return fail(TariffErrorCodes.PLAN_RETIRED, 'planId', `plan "${found.name}" is retired`);
        await tx.lockPlanSet(found.stationId);
        await tx.clearDefaults(found.stationId, found.id);
        const updated = await tx.updatePlan(found.id, { isDefault: true });
        await tx.audit({
          actor,
          action: 'TARIFF_PLAN_DEFAULT_SET',
          target: { type: 'tariff-plan', id: found.id },
          before: planFacts(found),
          after: planFacts(updated),
        });
        return { ok: true, value: updated };
      },
      (v) => [this.planEvent(scope.tenantId, v, 'DEFAULT_CHANGED')],
    );
  }

  /** Retire a plan (frees one of its station's 16 slots). Refused while chargers are bound to it. */
  async retirePlan(scope: TariffWriteScope, actor: AuditActor, planId: string): Promise<Outcome<PlanRecord>> {
    if (!isUuid(planId)) return fail(TariffErrorCodes.INVALID_ID, 'planId', 'planId is not a UUID');
    let changed = false;
    return this.changeInTenant(
      scope.tenantId,
      async (tx): Promise<Outcome<PlanRecord>> => {
        const found = await tx.lockPlan(planId);
        if (!found || !this.stationInScope(scope, found.stationId)) return fail(TariffErrorCodes.NOT_FOUND, 'planId', `no tariff plan ${planId}`);
        if (found.status !== 'ACTIVE') return { ok: true, value: found };
        changed = true;
        const bound = await tx.bindingsOfPlan(found.id);
        if (bound.length > 0)
          return fail(TariffErrorCodes.PLAN_BOUND, 'planId', `plan "${found.name}" is bound to ${bound.length} charger(s); bind them to another plan first`);
        await tx.lockPlanSet(found.stationId);
        const retired = await tx.updatePlan(found.id, { status: 'RETIRED', isDefault: false });
        await tx.audit({
          actor,
          action: 'TARIFF_PLAN_RETIRED',
          target: { type: 'tariff-plan', id: found.id },
          before: planFacts(found),
          after: planFacts(retired),
        });
        return { ok: true, value: retired };
      },
      (v) => (changed ? [this.planEvent(scope.tenantId, v, 'RETIRED')] : []),
    );
  }

  /**
   * Bind a charger to a plan. The charger's station and protocol come with the
   * command (this subgraph can't read assets); a YKC charger only takes a plan
   * whose current and scheduled versions fit its 4-tier, 48-slot billing model.
   */
  async bindCharger(scope: TariffWriteScope, actor: AuditActor, given: BindChargerCommand): Promise<Outcome<BindingRecord>> {
    for (const f of ['chargerId', 'planId'] as const) {
      if (!isUuid(given[f])) return fail(TariffErrorCodes.INVALID_ID, f, `${f} is not a UUID`);
    }
    if (!this.chargers) throw new AppError(ErrorCodes.DEPENDENCY_UNAVAILABLE, 'charger lookup (assets) is not configured', { retriable: false });
    // The charger's station and protocol are the assets service's facts: a client could otherwise bind a
    // charger of another station to that station's plan, or a YKC pile to a plan its billing model can't hold.
    const facts = await this.chargers.charger(scope.tenantId, given.chargerId);
    if (!facts) return fail(TariffErrorCodes.NOT_FOUND, 'chargerId', `no charger ${given.chargerId}`);
    if (given.stationId && given.stationId !== facts.stationId) {
      return fail(TariffErrorCodes.STATION_MISMATCH, 'stationId', `charger ${given.chargerId} is at station ${facts.stationId}, not ${given.stationId}`);
    }
    if (given.protocol && given.protocol !== facts.protocol)
      return fail(TariffErrorCodes.PROTOCOL_MISMATCH, 'protocol', `charger ${given.chargerId} speaks ${facts.protocol}, not ${given.protocol}`);
    const cmd = { chargerId: given.chargerId, planId: given.planId, stationId: facts.stationId, protocol: facts.protocol };
    if (!this.stationInScope(scope, cmd.stationId)) return fail(TariffErrorCodes.OUT_OF_SCOPE, 'stationId', outOfScopeMessage(cmd.stationId));
    return this.changeInTenant(
      scope.tenantId,
      async (tx): Promise<Outcome<BindingRecord>> => {
        const plan = await tx.lockPlan(cmd.planId);
        if (!plan || (plan.stationId !== null && !this.stationInScope(scope, plan.stationId)))
          return fail(TariffErrorCodes.NOT_FOUND, 'planId', `no tariff plan ${cmd.planId}`);
        if (plan.status !== 'ACTIVE') return fail(TariffErrorCodes.PLAN_RETIRED, 'planId', `plan "${plan.name}" is retired`);
        if (plan.stationId !== null && plan.stationId !== cmd.stationId) {
          return fail(
            TariffErrorCodes.STATION_MISMATCH,
            'planId',
            `plan "${plan.name}" belongs to station ${plan.stationId}, not to the charger's station ${cmd.stationId}`,
          );
        }
        if (cmd.protocol === 'YKC') {
          const now = this.clock().getTime();
          const versions = await tx.versions(plan.id);
          const inForce = versionAt(versions, now).version;
          // the version in force now and every scheduled one must fit
          for (const v of versions.filter((x) => x.version >= inForce)) {
            const conv = toYkcBillingModel(segmentsFromRecords(v.segments), plan.currency);
            if (!conv.ok) {
              return fail(
                TariffErrorCodes.YKC_UNREPRESENTABLE,
                'planId',
                `plan "${plan.name}" (version ${v.version}) cannot be represented on a YKC charger: ${conv.reasons.join('; ')}`,
              );
            }
          }
        }
        const previous = await tx.binding(cmd.chargerId);
        const bound = await tx.upsertBinding({
          chargerId: cmd.chargerId,
          stationId: cmd.stationId,
          protocol: cmd.protocol,
          planId: plan.id,
          boundBy: createdBy(actor),
        });
        await tx.audit({
          actor,
          action: 'CHARGER_TARIFF_BOUND',
          target: { type: 'charger', id: cmd.chargerId },
          before: previous ? bindingFacts(previous) : null,
          after: bindingFacts(bound),
        });
        return { ok: true, value: bound };
      },
      () => [this.bindingEvent(scope.tenantId, cmd.chargerId, cmd.stationId, cmd.planId)],
    );
  }

  async unbindCharger(scope: TariffWriteScope, actor: AuditActor, chargerId: string): Promise<Outcome<BindingRecord | null>> {
    if (!isUuid(chargerId)) return fail(TariffErrorCodes.INVALID_ID, 'chargerId', 'chargerId is not a UUID');
    return this.changeInTenant(
      scope.tenantId,
      async (tx): Promise<Outcome<BindingRecord | null>> => {
        const existing = await tx.binding(chargerId);
        if (!existing) return { ok: true, value: null };
        if (!this.stationInScope(scope, existing.stationId)) return fail(TariffErrorCodes.NOT_FOUND, 'chargerId', `charger ${chargerId} has no binding`);
        const removed = await tx.deleteBinding(chargerId);
        await tx.audit({ actor, action: 'CHARGER_TARIFF_UNBOUND', target: { type: 'charger', id: chargerId }, before: bindingFacts(existing), after: null });
        return { ok: true, value: removed };
      },
      (v) => (v ? [this.bindingEvent(scope.tenantId, chargerId, v.stationId, null)] : []),
    );
  }

  /** Which plan prices this charger: its own binding, else its station's default, else the tenant's default. */
  async resolve(tenantId: string, chargerId: string, stationId: string | null): Promise<Resolution | null> {
    if (!isUuid(chargerId)) throw new AppError(ErrorCodes.BAD_USER_INPUT, 'chargerId is not a UUID');
    if (stationId !== null && !isUuid(stationId)) throw new AppError(ErrorCodes.BAD_USER_INPUT, 'stationId is not a UUID');
    return this.cache.get(tenantId, `resolve:${chargerId}:${stationId ?? ''}`, () => this.store.resolution(tenantId, chargerId, stationId));
  }

  /**
   * A draft's segments as a YKC billing model, or every reason a YKC pile could not hold them: the
   * check publishing and binding make, asked before either (an editor warns while the draft is
   * edited). The draft must be a valid day (no gaps, overlaps or bad prices) and its currency one
   * the platform knows: BAD_USER_INPUT otherwise. Reads nothing: the tenant's read permission is
   * the resolver's to check.
   */
  ykcCheck(segments: readonly SegmentInput[], currency: string): YkcConversion {
    const draft = validateSegments(segments, 'segments');
    const badCurrency = validateCurrency(currency);
    const errors = [...(draft.ok ? [] : draft.errors), ...(badCurrency ? [badCurrency] : [])];
    if (!draft.ok || errors.length > 0) {
      throw new AppError(ErrorCodes.BAD_USER_INPUT, errors.map((e) => `${e.code} ${e.field ?? ''}: ${e.message}`).join('; '));
    }
    return toYkcBillingModel(draft.segments, currency);
  }

  /** The cost of a session on a charger, with the plan (and versions) it was priced with. Reads through the cache. */
  async priceSession(tenantId: string, cmd: PriceSessionCommand): Promise<PricedSession> {
    const resolution = await this.resolve(tenantId, cmd.chargerId, cmd.stationId ?? null);
    if (!resolution) {
      throw new AppError(
        ErrorCodes.NOT_FOUND,
        `no tariff plan applies to charger ${cmd.chargerId}: it has no binding, and there is no station or tenant default`,
      );
    }
    const cached = await this.pricedPlan(tenantId, resolution.planId);
    if (!cmd.draftSegments) return { price: priceSession(cached.priced, cmd.usage), resolution };
    const draft = validateSegments(cmd.draftSegments, 'draftSegments');
    if (!draft.ok) throw new AppError(ErrorCodes.BAD_USER_INPUT, draft.errors.map((e) => `${e.code} ${e.field ?? ''}: ${e.message}`).join('; '));
    const priced: PricedPlan = { ...cached.priced, versions: [{ version: 0, effectiveFrom: new Date(0), segments: draft.segments }] };
    return { price: priceSession(priced, cmd.usage), resolution };
  }

  private async pricedPlan(tenantId: string, planId: string): Promise<CachedPlan> {
    const cached = await this.cache.get(tenantId, `plan:${planId}`, async (): Promise<CachedPlan | null> => {
      const found = await this.store.planWithVersions(tenantId, planId);
      if (!found) return null;
      const versions = found.versions.map((v) => ({ version: v.version, effectiveFrom: v.effectiveFrom, segments: segmentsFromRecords(v.segments) }));
      return { plan: found.plan, priced: { id: found.plan.id, currency: found.plan.currency, timezone: found.plan.timezone, versions } };
    });
    if (!cached) throw new AppError(ErrorCodes.NOT_FOUND, `tariff plan ${planId} not found`);
    return cached;
  }

  private checkEffectiveFrom(requested: Date | null | undefined, latest: VersionRecord | null | undefined, errors: UserError[]): Date {
    const now = this.clock();
    const at = requested ?? now;
    // Never rewrite history: a version can't take effect before now (a second of
    // clock skew between client and server is tolerated), nor before the latest one.
    if (at.getTime() < now.getTime() - 1000) {
      errors.push({
        code: TariffErrorCodes.INVALID_EFFECTIVE_FROM,
        field: 'effectiveFrom',
        message: `effectiveFrom ${at.toISOString()} is in the past; sessions already charged keep their price`,
      });
    } else if (latest && at.getTime() < latest.effectiveFrom.getTime()) {
      errors.push({
        code: TariffErrorCodes.INVALID_EFFECTIVE_FROM,
        field: 'effectiveFrom',
        message: `effectiveFrom ${at.toISOString()} is before version ${latest.version} takes effect (${latest.effectiveFrom.toISOString()})`,
      });
    }
    return at.getTime() < now.getTime() ? now : at;
  }

  private stationInScope(scope: TariffWriteScope, stationId: string | null): boolean {
    if (scope.stationIds === null) return true;
    return stationId !== null && scope.stationIds.includes(stationId);
  }

  /**
   * A change and its events in one transaction: the events are enqueued in the tariffs
   * outbox with the change (a crash can't lose them, nor publish a change that rolled
   * back). After the commit this instance drops its own cache at once and wakes the relay;
   * other instances drop theirs when the events reach them.
   */
  private async changeInTenant<T>(tenantId: string, change: (tx: TariffTx) => Promise<Outcome<T>>, events: (value: T) => TariffEvent[]): Promise<Outcome<T>> {
    const result = await this.store.inTenant(tenantId, async (tx) => {
      const out = await change(tx);
      if (out.ok) await tx.announce(events(out.value));
      return out;
    });
    if (result.ok) {
      this.cache.invalidateTenant(tenantId);
      this.outbox.committed();
    }
    return result;
  }

  private planEvent(tenantId: string, plan: PlanRecord, change: 'CREATED' | 'VERSIONED' | 'DEFAULT_CHANGED' | 'RETIRED', version?: VersionRecord): TariffEvent {
    return {
      id: randomUUID(),
      version: 1,
      type: 'tariff.plan_changed',
      tenantId,
      occurredAt: new Date().toISOString(),
      data: {
        planId: plan.id,
        stationId: plan.stationId,
        change,
        ...(version ? { planVersion: version.version, effectiveFrom: version.effectiveFrom.toISOString() } : {}),
      },
    };
  }

  private bindingEvent(tenantId: string, chargerId: string, stationId: string | null, planId: string | null): TariffEvent {
    return {
      id: randomUUID(),
      version: 1,
      type: 'tariff.binding_changed',
      tenantId,
      occurredAt: new Date().toISOString(),
      data: { chargerId, stationId, planId },
    };
  }
}

const outOfScopeMessage = (stationId: string | null) =>
  stationId === null ? 'tenant-level plans are outside your assigned stations' : `station ${stationId} is not among your assigned stations`;
