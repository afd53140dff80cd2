import { Arg, Args, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { z } from 'zod';
import { AppError, connectionOf, cursorCodec, ErrorCodes, requirePermission, isUuid, isTimeZone, pageWindow, RelayPageArgs } from '@evcs/platform';
import type { OrdersContext } from '../context';
import type { RunRecord } from '../domain/ports';
import {
  Discrepancy,
  DiscrepancyConnection,
  DiscrepancyFilter,
  DiscrepancyPayload,
  ReconciliationRun,
  ReconciliationRunConnection,
  ReconciliationRunPayload,
} from './recon-types';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const toRun = (r: RunRecord): ReconciliationRun => Object.assign(new ReconciliationRun(), r);

const runCursor = cursorCodec('reconciliation-run', z.object({ date: z.string().regex(DATE), id: z.string().refine(isUuid) }));
const discrepancyCursor = cursorCodec('discrepancy', z.object({ id: z.string().refine(isUuid) }));

function checkDate(date: string | null | undefined): void {
  if (date && !DATE.test(date)) throw new AppError(ErrorCodes.BAD_USER_INPUT, '`date` must be YYYY-MM-DD');
}

function checkDiscrepancyFilter(filter: DiscrepancyFilter | null): void {
  checkDate(filter?.date);
  if (filter?.runId && !isUuid(filter.runId)) throw new AppError(ErrorCodes.BAD_USER_INPUT, 'Invalid run id');
}

function discrepancyFilterOf(filter: DiscrepancyFilter | null) {
  return { date: filter?.date ?? undefined, runId: filter?.runId ?? undefined, kinds: filter?.kinds ?? undefined, states: filter?.states ?? undefined };
}

@Resolver()
export class ReconciliationResolver {
  @Query(() => [ReconciliationRun], { description: 'Reconciliation runs within your data scope, newest day first (order:read).' })
  async reconciliationRuns(
    @Ctx() ctx: OrdersContext,
    @Arg('date', () => String, { nullable: true }) date: string | null,
    @Arg('first', () => Int, { defaultValue: 30 }) first: number,
  ): Promise<ReconciliationRun[]> {
    checkDate(date);
    if (first < 1 || first > 366) throw new AppError(ErrorCodes.BAD_USER_INPUT, '`first` must be between 1 and 366');
    return (await ctx.reads.recon.runs(ctx.readScope(), { date: date ?? undefined, limit: first })).map(toRun);
  }

  @Query(() => ReconciliationRunConnection, {
    description: 'Reconciliation runs within your data scope, newest day first, a page at a time: pages of 30, at most 366 (order:read).',
  })
  async reconciliationRunsConnection(
    @Ctx() ctx: OrdersContext,
    @Arg('date', () => String, { nullable: true }) date: string | null,
    @Args(() => RelayPageArgs) page: RelayPageArgs,
  ): Promise<ReconciliationRunConnection> {
    const window = pageWindow(page, { codec: runCursor, defaultSize: 30, max: 366 });
    checkDate(date);
    const rows = await ctx.reads.recon.pageRuns(ctx.readScope(), { date: date ?? undefined }, window);
    return connectionOf(rows, window, { key: (r) => ({ date: r.businessDate, id: r.id }), node: toRun });
  }

  @Query(() => DiscrepancyConnection, { description: 'Discrepancies found by reconciliation, with totals; pages of 50, at most 500 (order:read).' })
  async discrepancies(
    @Ctx() ctx: OrdersContext,
    @Arg('filter', () => DiscrepancyFilter, { nullable: true }) filter: DiscrepancyFilter | null,
    @Args(() => RelayPageArgs) page: RelayPageArgs,
  ): Promise<DiscrepancyConnection> {
    const window = pageWindow(page, { codec: discrepancyCursor, defaultSize: 50 });
    checkDiscrepancyFilter(filter);
    const f = discrepancyFilterOf(filter);
    const scope = ctx.readScope();
    const [rows, totals] = await Promise.all([ctx.reads.recon.discrepancies(scope, f, window), ctx.reads.recon.totals(scope, f)]);
    const { edges, pageInfo } = connectionOf(rows, window, { key: (d) => ({ id: d.id }), node: (d) => Object.assign(new Discrepancy(), d) });
    const total = totals.reduce((n, t) => n + t.count, 0);
    return { edges, pageInfo, hasNextPage: pageInfo.hasNextPage, endCursor: pageInfo.endCursor, total, totals };
  }

  @Mutation(() => ReconciliationRunPayload, {
    description:
      'Reconcile a business day of your tenant now (order:write). Resumes a failed run; returns a completed one as it is; RUNNING if still going after a moment.',
  })
  async runReconciliation(
    @Ctx() ctx: OrdersContext,
    @Arg('date') date: string,
    @Arg('timezone', { defaultValue: 'Asia/Shanghai' }) timezone: string,
  ): Promise<ReconciliationRunPayload> {
    requirePermission(ctx.identity, 'order:write');
    const tenantId = ctx.tenantId();
    if (!DATE.test(date)) return { run: null, userErrors: [{ code: 'INVALID_INPUT', field: 'date', message: 'Use YYYY-MM-DD' }] };
    if (!isTimeZone(timezone)) return { run: null, userErrors: [{ code: 'INVALID_INPUT', field: 'timezone', message: 'Not an IANA time zone' }] };
    const running = ctx.services.recon.run(tenantId, date, timezone);
    running.catch((e: unknown) => ctx.log.error({ err: e, date }, 'reconciliation run failed'));
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      running.catch(() => 'failed' as const),
      new Promise<'pending'>((r) => (timer = setTimeout(() => r('pending'), 2_000))),
    ]);
    clearTimeout(timer);
    if (outcome === 'busy') return { run: null, userErrors: [{ code: 'RUN_IN_PROGRESS', field: 'date', message: 'This day is being reconciled right now' }] };
    const [run] = await ctx.reads.recon.runs({ scope: 'TENANT', tenantId, tenantIds: [tenantId], stationIds: null, selfSubject: null }, { date, limit: 1 });
    return { run: run ? toRun(run) : null, userErrors: [] };
  }

  @Mutation(() => DiscrepancyPayload, { description: 'Mark a discrepancy resolved, with a note (order:write).' })
  async resolveDiscrepancy(@Ctx() ctx: OrdersContext, @Arg('id', () => ID) id: string, @Arg('note') note: string): Promise<DiscrepancyPayload> {
    requirePermission(ctx.identity, 'order:write');
    const tenantId = ctx.tenantId();
    const text = note.trim();
    if (text.length < 3 || text.length > 2000)
      return { discrepancy: null, userErrors: [{ code: 'INVALID_INPUT', field: 'note', message: 'A note of 3–2000 characters' }] };
    const d = isUuid(id) ? await ctx.reads.recon.resolve(tenantId, id, text, ctx.identity.subject) : null;
    return d
      ? { discrepancy: Object.assign(new Discrepancy(), d), userErrors: [] }
      : { discrepancy: null, userErrors: [{ code: 'NOT_FOUND', field: 'id', message: 'No open discrepancy with this id' }] };
  }
}
