import { Knex, keysetQuery, keysetRows, type KeysetOrder, type KeysetWindow, ReadScope, readInTenantScope, withTenantScope } from '@evcs/platform';
import type { MeterReading } from '../domain/meter';
import type { OrderRecord } from '../domain/ports';
import type { OrderState } from '../domain/states';
import type { OrderTransition } from '../domain/timeline';
import { OrderRow, toOrder } from './order-store';

/** A row of order_transitions; the charger_* columns are all set or all null (a check constraint). */
interface TransitionRow {
  order_id: string;
  at: Date;
  from_state: OrderState | null;
  to_state: OrderState;
  reason: string | null;
  charger_event_id: string | null;
  charger_event_type: string | null;
  charger_protocol: string | null;
  charger_event_at: Date | null;
}

export interface OrderFilter {
  stationIds?: readonly string[];
  chargerIds?: readonly string[];
  userId?: string;
  states?: readonly OrderState[];
  /** on sort_at */
  from?: Date;
  to?: Date;
}

/** States of a session that stopped and was priced: its bill is final (whatever happened to its payment since). */
export const PRICED_STATES = ['COMPLETED', 'TO_PAY', 'PAID', 'PARTIALLY_REFUNDED', 'REFUNDED'] as const;

/** A completed session with its meter readings, oldest first: what it was priced from. */
export interface CompletedSession {
  order: OrderRecord;
  readings: MeterReading[];
}

/** A position in a list of orders: its sort_at (start, else creation time; ISO) and id. */
export interface OrderCursor {
  at: string;
  id: string;
}

/** A keyset page of orders, in either order of (sort_at, id). */
export type OrderPage = KeysetWindow<OrderCursor> & { order: 'DESC' | 'ASC' };

const bySortAt = (order: 'asc' | 'desc', alias = ''): KeysetOrder<OrderCursor> => ({
  columns: [`${alias}sort_at`, `${alias}id`],
  types: ['timestamptz', 'uuid'],
  order,
  values: (k) => [k.at, k.id],
});

/**
 * Reads of orders within a read scope: the scope's tenants (RLS and an explicit
 * filter), assigned stations for ASSIGNED_STATIONS, own orders for SELF. Sorted
 * by start time (newest first by default), keyset-paged on (start, id) so the
 * indexes that begin with tenant_id serve every filter.
 *
 * Knex queries in one pipelined round trip each (readInTenantScope), not the models: these are the
 * `orders` and `order(id)` scenarios of `npm run bench:router` (docs/benchmarks.md, session 3), and
 * the list query is the one `npm run bench:orders-plans` EXPLAINs.
 */
export class OrdersReadRepository {
  constructor(private readonly knex: Knex) {}

  /** One query, in a tenant transaction sent in one round trip (readInTenantScope). */
  private async read(scope: ReadScope, build: (k: Knex) => Knex.QueryBuilder): Promise<OrderRow[]> {
    const [rows] = await readInTenantScope(this.knex, { tenantId: scope.tenantId, tenantIds: scope.tenantIds }, [build(this.knex)]);
    return rows as OrderRow[];
  }

  private scoped(trx: Knex, scope: ReadScope): Knex.QueryBuilder {
    const q = trx('orders.orders').whereIn('tenant_id', scope.tenantIds);
    // SELF: a driver's own orders, wherever they charged; ASSIGNED_STATIONS: the stations' orders.
    if (scope.selfSubject) q.where('user_id', scope.selfSubject);
    else if (scope.stationIds) q.whereIn('station_id', scope.stationIds);
    return q;
  }

  /**
   * A keyset page: up to size + 1 orders, in list order, each with its position — sort_at to the
   * microsecond, as Postgres holds it (a Date keeps milliseconds: a cursor made from one would
   * repeat or skip orders created within the same millisecond).
   */
  async list(scope: ReadScope, f: OrderFilter, page: OrderPage): Promise<{ order: OrderRecord; key: OrderCursor }[]> {
    const rows = (await this.read(scope, (k) => this.listQuery(k, scope, f, page))) as (OrderRow & { sort_at_key: string })[];
    return keysetRows(rows, page).map((r) => ({ order: toOrder(r), key: { at: r.sort_at_key, id: r.id } }));
  }

  /** The list query itself (also what the index-plan benchmark EXPLAINs). */
  listQuery(trx: Knex, scope: ReadScope, f: OrderFilter, page: OrderPage): Knex.QueryBuilder {
    const q = this.scoped(trx, scope).select('*', trx.raw(`to_char(sort_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as sort_at_key`));
    if (f.stationIds?.length) q.whereIn('station_id', f.stationIds);
    if (f.chargerIds?.length) q.whereIn('charger_id', f.chargerIds);
    if (f.userId) q.where('user_id', f.userId);
    if (f.states?.length) q.whereIn('state', f.states);
    if (f.from) q.whereRaw('sort_at >= ?', [f.from]);
    if (f.to) q.whereRaw('sort_at < ?', [f.to]);
    return keysetQuery(q, page, bySortAt(page.order === 'DESC' ? 'desc' : 'asc'));
  }

  /** Run `fn` in the scope's transaction (RLS settings applied). */
  inScope<T>(scope: ReadScope, fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    return withTenantScope(this.knex, { tenantId: scope.tenantId, tenantIds: scope.tenantIds }, fn);
  }

  async byIds(scope: ReadScope, ids: readonly string[]): Promise<OrderRecord[]> {
    const rows = await this.read(scope, (trx) => this.scoped(trx, scope).select('*').whereIn('id', ids));
    return rows.map(toOrder);
  }

  /** The active order (PENDING/CHARGING/FINISHING) of each charger, newest first. */
  async activeByChargers(scope: ReadScope, chargerIds: readonly string[]): Promise<OrderRecord[]> {
    const rows = await this.read(scope, (trx) =>
      this.scoped(trx, scope)
        .select('*')
        .whereIn('charger_id', chargerIds)
        .whereIn('state', ['PENDING', 'CHARGING', 'FINISHING'])
        .orderBy('created_at', 'desc'),
    );
    return rows.map(toOrder);
  }

  async activeByStations(scope: ReadScope, stationIds: readonly string[]): Promise<OrderRecord[]> {
    const rows = await this.read(scope, (trx) =>
      this.scoped(trx, scope)
        .select('*')
        .whereIn('station_id', stationIds)
        .whereIn('state', ['PENDING', 'CHARGING', 'FINISHING'])
        .orderBy('created_at', 'desc'),
    );
    return rows.map(toOrder);
  }

  /**
   * The accepted meter readings of these orders, oldest first, with power and state of charge
   * where reported (a running session's progress). The orders were read in the scope already;
   * the tenant filter keeps the readings to its tenants all the same.
   */
  async readingsByOrders(scope: ReadScope, orderIds: readonly string[]): Promise<(MeterReading & { orderId: string })[]> {
    const [rows] = await readInTenantScope(this.knex, { tenantId: scope.tenantId, tenantIds: scope.tenantIds }, [
      this.knex('orders.meter_readings')
        .select('order_id', 'at', 'register_wh', 'power_w', 'soc_percent')
        .whereIn('tenant_id', scope.tenantIds)
        .whereIn('order_id', orderIds)
        .orderBy(['order_id', 'at']),
    ]);
    return (rows as unknown as { order_id: string; at: Date; register_wh: string; power_w: number | null; soc_percent: number | null }[]).map((r) => ({
      orderId: r.order_id,
      at: r.at,
      registerWh: Number(r.register_wh),
      powerW: r.power_w,
      socPercent: r.soc_percent,
    }));
  }

  /** Every state change of these orders, in the order they happened. The orders were read in the scope already. */
  async transitionsByOrders(scope: ReadScope, orderIds: readonly string[]): Promise<(OrderTransition & { orderId: string })[]> {
    const [rows] = await readInTenantScope(this.knex, { tenantId: scope.tenantId, tenantIds: scope.tenantIds }, [
      this.knex('orders.order_transitions')
        .select('order_id', 'at', 'from_state', 'to_state', 'reason', 'charger_event_id', 'charger_event_type', 'charger_protocol', 'charger_event_at')
        .whereIn('tenant_id', scope.tenantIds)
        .whereIn('order_id', orderIds)
        .orderBy(['order_id', 'id']),
    ]);
    return (rows as unknown as TransitionRow[]).map((r) => ({
      orderId: r.order_id,
      at: r.at,
      from: r.from_state,
      to: r.to_state,
      reason: r.reason,
      chargerMessage:
        r.charger_event_id !== null
          ? { eventId: r.charger_event_id, type: r.charger_event_type!, protocol: r.charger_protocol!, occurredAt: r.charger_event_at! }
          : null,
    }));
  }

  /**
   * Sessions (not FAILED starts) by start time in [from, to), per local hour or day of `timezone`
   * (date_trunc in that zone, so a DST day has its 23 or 25 hours), and what the priced ones billed
   * per currency — sums as exact decimal text. Two statements in one round trip; orders_by_start
   * and orders_by_station serve them.
   */
  async statistics(
    scope: ReadScope,
    f: { stationIds?: readonly string[] },
    window: { from: Date; to: Date },
    bucket: 'hour' | 'day',
    timezone: string,
  ): Promise<{ buckets: { start: Date; sessions: number; wh: string }[]; revenue: { currency: string; amount: string }[] }> {
    const base = () => {
      const q = this.scoped(this.knex, scope).whereRaw('sort_at >= ?', [window.from]).whereRaw('sort_at < ?', [window.to]);
      if (f.stationIds?.length) q.whereIn('station_id', f.stationIds);
      return q;
    };
    const [buckets, revenue] = await readInTenantScope(this.knex, { tenantId: scope.tenantId, tenantIds: scope.tenantIds }, [
      base()
        .select(this.knex.raw('date_trunc(?, sort_at, ?) as start', [bucket, timezone]))
        .select(this.knex.raw('count(*)::int as sessions'), this.knex.raw('coalesce(sum(energy_wh), 0)::text as wh'))
        .whereNot('state', 'FAILED')
        .groupByRaw('1')
        .orderByRaw('1'),
      base()
        .select('currency', this.knex.raw('sum(amount)::text as amount'))
        .whereIn('state', PRICED_STATES)
        .whereNotNull('amount')
        .groupBy('currency')
        .orderBy('currency'),
    ]);
    return {
      buckets: (buckets as unknown as { start: Date; sessions: number; wh: string }[]).map((b) => ({ start: b.start, sessions: b.sessions, wh: b.wh })),
      revenue: revenue as unknown as { currency: string; amount: string }[],
    };
  }

  /**
   * A station's completed, priced sessions that started in [from, to), oldest first, keyset-paged on
   * (sort_at, id) — orders_by_station serves it — each with its meter readings in the same query
   * (one round trip per page, whatever the page size). For re-pricing under a draft tariff.
   */
  async completedSessions(scope: ReadScope, stationId: string, window: { from: Date; to: Date }, page: KeysetWindow<OrderCursor>): Promise<CompletedSession[]> {
    const rows = (await this.read(scope, (k) => this.completedSessionsQuery(k, scope, stationId, window, page))) as (OrderRow & {
      readings: { at: string; wh: string | number }[] | null;
    })[];
    return keysetRows(rows, page).map(({ readings, ...r }) => ({
      order: toOrder(r),
      readings: (readings ?? []).map((x) => ({ at: new Date(x.at), registerWh: Number(x.wh) })),
    }));
  }

  /** The page query itself (the benchmark runs it alone as the limit: the plain SQL scan of the same sessions). */
  completedSessionsQuery(trx: Knex, scope: ReadScope, stationId: string, window: { from: Date; to: Date }, page: KeysetWindow<OrderCursor>) {
    const readings = trx('orders.meter_readings as r')
      .select(trx.raw(`coalesce(json_agg(json_build_object('at', r.at, 'wh', r.register_wh) order by r.at), '[]'::json)`))
      .whereRaw('r.order_id = o.id')
      .whereRaw('r.tenant_id = o.tenant_id')
      .as('readings');
    const q = trx('orders.orders as o')
      .select('o.*', readings)
      .whereIn('o.tenant_id', scope.tenantIds)
      .where('o.station_id', stationId)
      .whereIn('o.state', PRICED_STATES)
      .whereNotNull('o.started_at')
      .whereNotNull('o.stopped_at')
      .whereNotNull('o.amount')
      .whereRaw('o.sort_at >= ?', [window.from])
      .whereRaw('o.sort_at < ?', [window.to]);
    if (scope.stationIds) q.whereIn('o.station_id', scope.stationIds);
    return keysetQuery(q, page, bySortAt('asc', 'o.'));
  }
}
