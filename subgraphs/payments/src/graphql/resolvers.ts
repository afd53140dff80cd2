import { Arg, Args, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import {
  auditLogResolver,
  AppError,
  connectionOf,
  cursorCodec,
  ErrorCodes,
  ForbiddenError,
  isUuid,
  money as platformMoney,
  moneyObject,
  type MoneyObject,
  pageSize,
  pageWindow,
  RelayPageArgs,
  userErrorsOf,
} from '@evcs/platform';
import { z } from 'zod';
import type { PaymentsContext } from '../context';
import { CHANNEL_OF, ClientParams } from '../domain/channel';
import { CHANNEL_CURRENCY } from '../domain/money';

import type { PaymentRecord, RefundRecord, StatementRunRecord } from '../domain/ports';
import type { DiscrepancyRecord } from '../domain/read-model';
import {
  ClientPayParams,
  CreatePaymentInput,
  CreatePaymentPayload,
  StatementDiscrepancyFilter,
  DiscrepancyKind,
  DiscrepancyTotals,
  JsapiPayParams,
  Payment,
  PaymentChannelName,
  PaymentConnection,
  PaymentFilter,
  PaymentMethod,
  PaymentState,
  Refund,
  RefundConnection,
  RefundFilter,
  RefundPaymentInput,
  RefundPaymentPayload,
  RefundState,
  ResolveDiscrepancyPayload,
  StatementDiscrepancy,
  StatementDiscrepancyConnection,
  StatementRun,
  StatementRunConnection,
  StatementRunPayload,
  StatementRunStatus,
  UserError,
} from './types';

// ---- mapping ----------------------------------------------------------------------------

const money = (minor: number, currency: string): MoneyObject => moneyObject(platformMoney(minor, currency));
export const toPayment = (p: PaymentRecord): Payment =>
  Object.assign(new Payment(), {
    id: p.id,
    orderId: p.orderId,
    channel: p.channel as PaymentChannelName,
    method: p.method as PaymentMethod,
    outTradeNo: p.outTradeNo,
    amount: money(p.amount, p.currency),
    refundedAmount: money(p.refunded, p.currency),
    state: p.state as PaymentState,
    channelTradeNo: p.channelTradeNo,
    flags: p.flags,
    failureReason: p.failureReason,
    createdAt: p.createdAt,
    paidAt: p.paidAt,
  });
const toRefund = (r: RefundRecord, currency = CHANNEL_CURRENCY): Refund =>
  Object.assign(new Refund(), {
    id: r.id,
    paymentId: r.paymentId,
    outRefundNo: r.outRefundNo,
    amount: money(r.amount, currency),
    reason: r.reason,
    state: r.state as RefundState,
    failureReason: r.failureReason,
    createdAt: r.createdAt,
    succeededAt: r.succeededAt,
  });
const toClientParams = (c: ClientParams | null): ClientPayParams | null =>
  c
    ? Object.assign(new ClientPayParams(), {
        qrCodeUrl: c.qrCodeUrl ?? null,
        orderString: c.orderString ?? null,
        jsapi: c.jsapi ? Object.assign(new JsapiPayParams(), c.jsapi) : null,
      })
    : null;
const toRun = (r: StatementRunRecord): StatementRun =>
  Object.assign(new StatementRun(), {
    id: r.id,
    channel: r.channel as PaymentChannelName,
    date: r.statementDate,
    status: r.status as StatementRunStatus,
    lines: r.lines,
    matched: r.matched,
    discrepancies: r.discrepancies,
    error: r.error,
    runs: r.runs,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
  });
const toDiscrepancy = (d: DiscrepancyRecord): StatementDiscrepancy =>
  Object.assign(new StatementDiscrepancy(), {
    ...d,
    date: d.statementDate,
    channel: d.channel as PaymentChannelName,
    kind: d.kind as DiscrepancyKind,
    // a statement line and the payment or refund it is matched with are both in the channel's currency
    localAmount: d.localAmount === null ? null : money(d.localAmount, CHANNEL_CURRENCY),
    channelAmount: d.channelAmount === null ? null : money(d.channelAmount, CHANNEL_CURRENCY),
  });

// ---- cursors: opaque to clients, validated on the way back ---------------------------------

// Payments and refunds page by (creation time, id); discrepancies by id.
const paymentCursor = cursorCodec('payment', z.object({ t: z.string().datetime(), id: z.string().refine(isUuid) }));
const refundCursor = cursorCodec('refund', z.object({ t: z.string().datetime(), id: z.string().refine(isUuid) }));
const discrepancyCursor = cursorCodec('discrepancy', z.object({ id: z.string().refine(isUuid) }));
const statementRunCursor = cursorCodec('statement-run', z.object({ date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/), id: z.string().refine(isUuid) }));

/** Statements cover every payment of the tenant: readers limited to some stations or to themselves may not see them. */
function statementScope(ctx: PaymentsContext) {
  const scope = ctx.readScope('payment:read');
  if (scope.stationIds !== null || scope.selfSubject !== null) throw new ForbiddenError('statements need a tenant-wide read scope');
  return scope;
}

// ---- resolvers ------------------------------------------------------------------------------

/**
 * Permissions: reading needs `payment:read`; paying an order is a driver's action on
 * their order and needs `order:write` (no payment:write exists); refunds and statement
 * reconciliation move or account for money and need `payment:refund`.
 */
@Resolver(() => Payment)
export class PaymentResolver {
  @Query(() => Payment, { nullable: true })
  async payment(@Arg('id', () => ID) id: string, @Ctx() ctx: PaymentsContext): Promise<Payment | null> {
    ctx.readScope('payment:read');
    if (!isUuid(id)) return null;
    const p = await ctx.loaders.payment.load(id);
    return p ? toPayment(p) : null;
  }

  @Query(() => PaymentConnection, { description: 'Payments the caller may see, newest first; pages of 50, at most 500.' })
  async payments(
    @Ctx() ctx: PaymentsContext,
    @Arg('filter', () => PaymentFilter, { nullable: true }) filter: PaymentFilter | null,
    @Args(() => RelayPageArgs) page: RelayPageArgs,
  ): Promise<PaymentConnection> {
    const scope = ctx.readScope('payment:read');
    const window = pageWindow(page, { codec: paymentCursor, defaultSize: 50 });
    if (filter?.orderId && !isUuid(filter.orderId)) throw new AppError(ErrorCodes.BAD_USER_INPUT, 'orderId must be a UUID');
    const rows = await ctx.reads.payments.listPayments(scope, filter ?? {}, window);
    return Object.assign(new PaymentConnection(), connectionOf(rows, window, { key: (r) => r.key, node: (r) => toPayment(r.payment) }));
  }

  @FieldResolver(() => [Refund])
  async refunds(@Root() p: Payment, @Ctx() ctx: PaymentsContext): Promise<Refund[]> {
    return (await ctx.loaders.refunds.load(p.id)).map((r) => toRefund(r, p.amount.currency));
  }

  @Mutation(() => CreatePaymentPayload, { description: 'Pay a completed order. Idempotent by idempotencyKey (per tenant). Needs order:write.' })
  async createPayment(@Arg('input') input: CreatePaymentInput, @Ctx() ctx: PaymentsContext): Promise<CreatePaymentPayload> {
    const actor = ctx.actor('order:write');
    if (input.channel && CHANNEL_OF[input.method] !== input.channel) {
      return Object.assign(new CreatePaymentPayload(), {
        payment: null,
        clientParams: null,
        userErrors: [Object.assign(new UserError(), { code: 'INVALID_INPUT', field: 'channel', message: `${input.method} is not a ${input.channel} method` })],
      });
    }
    const out = await ctx.services.payments.createPayment(actor, {
      orderId: input.orderId,
      method: input.method,
      idempotencyKey: input.idempotencyKey,
      openId: input.openId,
    });
    return Object.assign(
      new CreatePaymentPayload(),
      out.ok
        ? { payment: toPayment(out.value.payment), clientParams: toClientParams(out.value.clientParams), userErrors: [] }
        : { payment: null, clientParams: null, userErrors: userErrorsOf(out) },
    );
  }

  @Mutation(() => RefundPaymentPayload, { description: 'Refund all or part of a succeeded payment. Idempotent by idempotencyKey. Needs payment:refund.' })
  async refundPayment(@Arg('input') input: RefundPaymentInput, @Ctx() ctx: PaymentsContext): Promise<RefundPaymentPayload> {
    const actor = ctx.actor('payment:refund');
    const { amountMinor, ...rest } = input;
    const out = await ctx.services.payments.refundPayment(actor, { ...rest, amount: amountMinor });
    return Object.assign(
      new RefundPaymentPayload(),
      out.ok
        ? { refund: toRefund(out.value.refund, out.value.payment.currency), payment: toPayment(out.value.payment), userErrors: [] }
        : { refund: null, payment: null, userErrors: userErrorsOf(out) },
    );
  }
}

function checkRefundFilter(f: RefundFilter | null): void {
  if ((f?.orderId && !isUuid(f.orderId)) || (f?.paymentId && !isUuid(f.paymentId))) {
    throw new AppError(ErrorCodes.BAD_USER_INPUT, 'orderId and paymentId must be UUIDs');
  }
  if (f?.from && f.to && f.from >= f.to) throw new AppError(ErrorCodes.BAD_USER_INPUT, '`from` must be before `to`');
}

/** The refunds list: what finance reviews across payments (which are still processing, which failed). Read like payments. */
@Resolver(() => Refund)
export class RefundResolver {
  @Query(() => RefundConnection, { description: 'Refunds of the payments the caller may see, newest first; pages of 50, at most 500. Needs payment:read.' })
  async refunds(
    @Ctx() ctx: PaymentsContext,
    @Arg('filter', () => RefundFilter, { nullable: true }) filter: RefundFilter | null,
    @Args(() => RelayPageArgs) page: RelayPageArgs,
  ): Promise<RefundConnection> {
    const scope = ctx.readScope('payment:read');
    const window = pageWindow(page, { codec: refundCursor, defaultSize: 50 });
    checkRefundFilter(filter);
    const rows = await ctx.reads.payments.listRefunds(scope, filter ?? {}, window);
    return Object.assign(new RefundConnection(), connectionOf(rows, window, { key: (r) => r.key, node: (r) => toRefund(r.refund, r.currency) }));
  }

  @FieldResolver(() => Payment, { nullable: true, description: 'the refunded payment (its order, channel, method); needs payment:read' })
  async payment(@Root() r: Refund, @Ctx() ctx: PaymentsContext): Promise<Payment | null> {
    // batched: a page of refunds asks for its payments once
    const p = await ctx.loaders.payment.load(r.paymentId);
    return p ? toPayment(p) : null;
  }
}

@Resolver()
export class StatementResolver {
  @Mutation(() => StatementRunPayload, {
    description: "Reconcile a channel's statement of one day (Asia/Shanghai). Re-running a day updates its run. Needs payment:refund.",
  })
  async runStatementReconciliation(
    @Arg('channel', () => PaymentChannelName) channel: PaymentChannelName,
    @Arg('date', { description: 'yyyy-MM-dd' }) date: string,
    @Ctx() ctx: PaymentsContext,
  ): Promise<StatementRunPayload> {
    const out = await ctx.services.payments.runStatementReconciliation(ctx.actor('payment:refund'), channel, date);
    return Object.assign(new StatementRunPayload(), out.ok ? { run: toRun(out.value), userErrors: [] } : { run: null, userErrors: userErrorsOf(out) });
  }

  @Query(() => [StatementRun])
  async statementRuns(
    @Ctx() ctx: PaymentsContext,
    @Arg('channel', () => PaymentChannelName, { nullable: true }) channel: PaymentChannelName | null,
    @Arg('first', () => Int, { defaultValue: 30 }) first: number,
  ): Promise<StatementRun[]> {
    return (await ctx.reads.payments.statementRuns(statementScope(ctx), channel ?? null, pageSize(first))).map(toRun);
  }

  @Query(() => StatementRunConnection, { description: 'Statement runs, newest statement day first, a page at a time: pages of 30, at most 500.' })
  async statementRunsConnection(
    @Ctx() ctx: PaymentsContext,
    @Arg('channel', () => PaymentChannelName, { nullable: true }) channel: PaymentChannelName | null,
    @Args(() => RelayPageArgs) page: RelayPageArgs,
  ): Promise<StatementRunConnection> {
    const scope = statementScope(ctx);
    const window = pageWindow(page, { codec: statementRunCursor, defaultSize: 30 });
    const rows = await ctx.reads.payments.pageStatementRuns(scope, channel ?? null, window);
    return Object.assign(new StatementRunConnection(), connectionOf(rows, window, { key: (r) => ({ date: r.statementDate, id: r.id }), node: toRun }));
  }

  @Query(() => StatementDiscrepancyConnection, { description: 'Statement discrepancies by id, with totals; pages of 50, at most 500.' })
  async statementDiscrepancies(
    @Ctx() ctx: PaymentsContext,
    @Arg('filter', () => StatementDiscrepancyFilter, { nullable: true }) filter: StatementDiscrepancyFilter | null,
    @Args(() => RelayPageArgs) page: RelayPageArgs,
  ): Promise<StatementDiscrepancyConnection> {
    const scope = statementScope(ctx);
    const window = pageWindow(page, { codec: discrepancyCursor, defaultSize: 50 });
    if (filter?.date && !/^\d{4}-\d{2}-\d{2}$/.test(filter.date)) throw new AppError(ErrorCodes.BAD_USER_INPUT, 'date must be yyyy-MM-dd');
    const { rows, totals } = await ctx.reads.payments.discrepancies(scope, filter ?? {}, window);
    return Object.assign(new StatementDiscrepancyConnection(), {
      ...connectionOf(rows, window, { key: (d) => ({ id: d.id }), node: toDiscrepancy }),
      totals: Object.assign(new DiscrepancyTotals(), totals),
    });
  }

  @Mutation(() => ResolveDiscrepancyPayload, { description: 'Mark a discrepancy reviewed, with a note. Needs payment:refund.' })
  async resolveStatementDiscrepancy(
    @Arg('id', () => ID) id: string,
    @Arg('note') note: string,
    @Ctx() ctx: PaymentsContext,
  ): Promise<ResolveDiscrepancyPayload> {
    const actor = ctx.actor('payment:refund');
    const fail = (code: string, field: string, message: string) =>
      Object.assign(new ResolveDiscrepancyPayload(), { discrepancy: null, userErrors: [Object.assign(new UserError(), { code, field, message })] });
    if (!note.trim() || note.length > 500) return fail('INVALID_INPUT', 'note', 'note must be 1–500 characters');
    if (!isUuid(id)) return fail('NOT_FOUND', 'id', 'no such discrepancy');
    const { row, alreadyResolved } = await ctx.reads.payments.resolveDiscrepancy(actor.tenantId, id, actor.subject, note.trim());
    if (!row) return fail('NOT_FOUND', 'id', 'no such discrepancy');
    if (alreadyResolved) return fail('ALREADY_RESOLVED', 'id', 'already resolved');
    return Object.assign(new ResolveDiscrepancyPayload(), { discrepancy: toDiscrepancy(row), userErrors: [] });
  }
}

export const referenceResolvers = {
  Payment: {
    __resolveReference: async (ref: { id: string }, ctx: PaymentsContext) => {
      ctx.readScope('payment:read');
      const row = isUuid(ref.id) ? await ctx.loaders.payment.load(ref.id) : null;
      return row ? toPayment(row) : null;
    },
  },
};

/** paymentAuditLog: refunds requested, succeeded and failed. */
export const PaymentAuditLogResolver = auditLogResolver<PaymentsContext>({ field: 'paymentAuditLog', what: 'refunds', reader: (ctx) => ctx.reads.audit });
