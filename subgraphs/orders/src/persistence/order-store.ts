import { randomUUID } from 'node:crypto';
import { ChargerCommands, newChargerCommand, OrderEvents, type CommandSpec, type OrderEvent } from '@evcs/events';
import {
  afterCommit,
  appendAuditEntry,
  type AuditEntryInput,
  currencyExponent,
  formatMoney,
  inTenantInOneTrip,
  Knex,
  OutboxWriter,
  parseMoney,
  pipelinedInTransaction,
  TenantBatches,
  zeroMoney,
  type Money,
  type OutboxRowValues,
} from '@evcs/platform';
import { raw, snakeCaseMappers } from 'objection';
import type { MeterReading } from '../domain/meter';
import type {
  Bill,
  ChargerBill,
  ChargerCommand,
  ChargerHint,
  NewOrder,
  OneTripStart,
  OrderRecord,
  OrderStore,
  OrderTx,
  OrderWithReadings,
  Transition,
} from '../domain/ports';
import { ACTIVE_STATES, type OrderState } from '../domain/states';
import type { ChargerMessage } from '../domain/timeline';
import { MeterReadingModel, OrderModel } from './models';

export interface OrderRow {
  id: string;
  tenant_id: string;
  station_id: string | null;
  charger_id: string | null;
  charger_code: string;
  connector_no: number;
  user_id: string | null;
  id_tag: string | null;
  origin: 'API' | 'CHARGER';
  transaction_id: string | null;
  state: OrderState;
  started_at: Date | null;
  stopped_at: Date | null;
  meter_start_wh: string | null;
  meter_stop_wh: string | null;
  energy_wh: string | null;
  amount: string | null;
  currency: string;
  bill: Bill | null;
  charger_bill?: ChargerBill | null;
  pre_authorized_fen?: number | null;
  failure_reason: string | null;
  stop_reason: string | null;
  review_flags: string[];
  idempotency_key: string | null;
  request_hash: string | null;
  paid_at: Date | null;
  paid_amount: string | null;
  refunded_amount?: string;
  created_at: Date;
  updated_at: Date;
}

const num = (v: string | number | null): number | null => (v === null ? null : Number(v));

/**
 * The amount columns are numeric(14,2) in major units (exact; pg hands them
 * back as strings like "12.30"). Money in a currency with more decimals would
 * not fit them, so it is refused rather than rounded.
 */
export function moneyFromColumn(v: string | null, currency: string): Money | null {
  if (v === null) return null;
  // pg prints the column's scale (2): "1234.00" for a 0-decimal currency is still exact
  return parseMoney(currencyExponent(currency) < 2 ? v.replace(/\.0+$/, '') : v, currency);
}
export function moneyToColumn(m: Money): string {
  if (currencyExponent(m.currency) > 2) throw new RangeError(`orders keep amounts with 2 decimals; ${m.currency} has more`);
  return formatMoney(m);
}

export const toOrder = (r: OrderRow): OrderRecord => ({
  id: r.id,
  tenantId: r.tenant_id,
  stationId: r.station_id,
  chargerId: r.charger_id,
  chargerCode: r.charger_code,
  connectorNo: r.connector_no,
  userId: r.user_id,
  idTag: r.id_tag,
  origin: r.origin,
  transactionId: r.transaction_id,
  state: r.state,
  startedAt: r.started_at,
  stoppedAt: r.stopped_at,
  meterStartWh: num(r.meter_start_wh),
  meterStopWh: num(r.meter_stop_wh),
  energyWh: num(r.energy_wh),
  amount: moneyFromColumn(r.amount, r.currency),
  currency: r.currency,
  bill: r.bill,
  chargerBill: r.charger_bill ?? null,
  preAuthorizedFen: r.pre_authorized_fen ?? null,
  failureReason: r.failure_reason,
  stopReason: r.stop_reason,
  reviewFlags: r.review_flags,
  idempotencyKey: r.idempotency_key,
  paidAt: r.paid_at ?? null,
  paidAmount: moneyFromColumn(r.paid_amount ?? null, r.currency),
  refundedAmount: moneyFromColumn(r.refunded_amount ?? null, r.currency) ?? zeroMoney(r.currency),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/**
 * An order read through its model: the same mapping as a row from knex, so the two paths
 * cannot drift. Only the keys go back to snake_case (objection's own mapper, shallow);
 * values stay as pg gave them, jsonb bills included.
 */
const snakeKeys = snakeCaseMappers().format;
export const toOrderRecord = (m: OrderModel): OrderRecord => toOrder(snakeKeys({ ...m }) as unknown as OrderRow);
export const toReading = (m: MeterReadingModel): MeterReading => ({ at: m.at, registerWh: Number(m.registerWh) });

/** An order with its readings, oldest first: the graph of an order and its meter_readings. */
export const toOrderWithReadings = (m: OrderModel): OrderWithReadings => ({ order: toOrderRecord(m), readings: (m.readings ?? []).map(toReading) });

const PATCH_COLUMNS: Record<string, string> = {
  transactionId: 'transaction_id',
  startedAt: 'started_at',
  stoppedAt: 'stopped_at',
  meterStartWh: 'meter_start_wh',
  meterStopWh: 'meter_stop_wh',
  energyWh: 'energy_wh',
  amount: 'amount',
  bill: 'bill',
  chargerBill: 'charger_bill',
  failureReason: 'failure_reason',
  stopReason: 'stop_reason',
};

export class PgOrderStore implements OrderStore {
  private readonly batches: TenantBatches;

  /**
   * @param onEnqueued told after a transaction that enqueued a command or event returned
   *   (the outbox relay, so it publishes now instead of at its next poll)
   */
  constructor(
    private readonly knex: Knex,
    private readonly onEnqueued: () => void = () => undefined,
  ) {
    this.batches = TenantBatches.for(knex);
  }

  // bench:starts (every start on a charger this process has a hint of): BEGIN with the tenant,
  // the lock, the looks, the insert and COMMIT leave in one write and come back in one read —
  // one round trip and one syscall each way, where the statement-by-statement start took five.
  // The looks and the insert run after the lock is granted (Postgres runs a pipeline in order,
  // each statement on a snapshot taken when it starts), so they see every start committed before.
  async startInOneTrip(tenantId: string, charger: ChargerHint, o: NewOrder, command: ChargerCommand): Promise<OneTripStart> {
    const k = this.knex;
    const projected = 'exists (select 1 from orders.charger_projection p where p.tenant_id = ? and p.charger_id = ? and p.revision = ? and not p.retired)';
    const active = `exists (select 1 from orders.orders a where a.tenant_id = ? and a.charger_code = ? and a.connector_no = ? and a.state in ${ACTIVE_STATES_SQL})`;
    const keyed = 'exists (select 1 from orders.orders k where k.tenant_id = ? and k.idempotency_key = ?)';
    const guards = [tenantId, charger.chargerId, charger.revision, tenantId, charger.code, o.connectorNo];
    const look = k.raw(
      `select ${projected} as projected, ${active} as busy, k.*
         from (select 1) one left join orders.orders k on k.tenant_id = ? and k.idempotency_key = ?`,
      [...guards, tenantId, o.idempotencyKey],
    );
    const c = commandRow(tenantId, command);
    const insert = k.raw(
      `with o as (
         insert into orders.orders (${NEW_ORDER_COLUMNS})
         select ${NEW_ORDER_COLUMNS} from jsonb_populate_record(null::orders.orders, ?::jsonb)
          where ${projected} and not ${active} and not ${keyed}
         on conflict do nothing
         returning *),
       t as (insert into orders.order_transitions (tenant_id, order_id, from_state, to_state, reason)
             select tenant_id, id, null, state, 'REQUESTED' from o),
       c as (insert into orders.outbox (id, tenant_id, order_id, topic, key, payload, headers)
             select ?, tenant_id, id, ?, ?, ?, ? from o)
       select * from o`,
      [
        // one typed row from the same columns insertOrder writes (the columns' own types, no casts to keep in step)
        JSON.stringify(newOrderColumns(tenantId, o)),
        ...guards,
        tenantId,
        o.idempotencyKey,
        c.id,
        c.topic,
        c.key,
        c.payload,
        c.headers,
      ],
    );
    const [, looked, inserted] = (await inTenantInOneTrip(k, tenantId, [lockQuery(k, tenantId, charger.code, o.connectorNo), look, insert])) as unknown as [
      unknown,
      { rows: (OrderRow & { projected: boolean; busy: boolean })[] },
      { rows: OrderRow[] },
    ];
    const seen = looked.rows[0];
    const created = inserted.rows[0] ? toOrder(inserted.rows[0]) : null;
    if (created) this.onEnqueued();
    return {
      replay: seen.id ? { ...toOrder(seen), requestHash: seen.request_hash } : null,
      projected: seen.projected,
      busy: seen.busy,
      created,
    };
  }

  async inTenant<T>(tenantId: string, fn: (tx: OrderTx) => Promise<T>): Promise<T> {
    let tx: PgOrderTx | undefined;
    const result = await this.batches.run(tenantId, (trx) => fn((tx = new PgOrderTx(trx, tenantId))));
    if (tx?.enqueued) this.onEnqueued();
    return result;
  }

  batch<T>(tenantId: string, fn: () => Promise<T>): Promise<T> {
    return this.batches.batch(tenantId, fn);
  }
}

/** A transition's charger message as its columns (all null when there is none). */
function messageColumns(m: ChargerMessage | null | undefined) {
  return {
    charger_event_id: m?.eventId ?? null,
    charger_event_type: m?.type ?? null,
    charger_protocol: m?.protocol ?? null,
    charger_event_at: m?.occurredAt ?? null,
  };
}

/** Commands and order events leave through the platform outbox, in the transaction that made them. */
const outbox = new OutboxWriter('orders');

/** A new order's columns, as both inserts write them. */
function newOrderColumns(tenantId: string, o: NewOrder) {
  return {
    tenant_id: tenantId,
    station_id: o.stationId,
    charger_id: o.chargerId,
    charger_code: o.chargerCode,
    connector_no: o.connectorNo,
    user_id: o.userId,
    id_tag: o.idTag,
    origin: o.origin,
    transaction_id: o.transactionId,
    state: o.state,
    started_at: o.startedAt,
    meter_start_wh: o.meterStartWh,
    idempotency_key: o.idempotencyKey,
    request_hash: o.requestHash,
    pre_authorized_fen: o.preAuthorizedFen ?? null,
  };
}
const NEW_ORDER_COLUMNS = Object.keys(newOrderColumns('', {} as NewOrder)).join(', ');

/** The states of a session that holds its connector, as SQL (the partial index orders_active_connector has the same). */
const ACTIVE_STATES_SQL = `(${ACTIVE_STATES.map((s) => `'${s}'`).join(',')})`;

/** One connector's lock, for this transaction: every start and every charger-side start on it takes it first. */
function lockQuery(k: Knex, tenantId: string, chargerCode: string, connectorNo: number): Knex.Raw {
  return k.raw('select pg_advisory_xact_lock(hashtextextended(?, 0))', [`orders:${tenantId}:${chargerCode}:${connectorNo}`]);
}

/** A command for a charger as the outbox row that carries it. */
function commandRow(tenantId: string, cmd: ChargerCommand): OutboxRowValues {
  const { chargerCode, ...spec } = cmd;
  const command = newChargerCommand({
    id: randomUUID(),
    tenantId,
    chargerId: chargerCode,
    command: spec as CommandSpec,
    issuedAt: new Date(),
  });
  return outbox.row(ChargerCommands, command);
}

/**
 * One tenant's transaction on the orders store. Writes and reads of single orders outside the
 * measured paths go through the models (OrderModel, MeterReadingModel). What the session-start
 * path and the charger-events consumer run on every start, event and stop stays on knex and the
 * pipelined helpers, each method naming the benchmark that measures it (docs/benchmarks.md):
 * `npm run bench:starts` (startInOneTrip, lockConnectorAndLook, insertOrder, lastSerialCounter, and the refused
 * starts: onceTransitionOfCommand) and `npm run bench:ingest` (markProcessed,
 * markProcessedAndFind, byTransaction, pendingStart, activeOnConnector, readings, insertReadings,
 * addFlags, transition, recordChargerRecord, shiftReadings, enqueueOrderEvent).
 */
class PgOrderTx implements OrderTx {
  enqueued = false;

  constructor(
    private readonly trx: Knex.Transaction,
    readonly tenantId: string,
  ) {}

  afterCommit(fn: () => void): void {
    afterCommit(this.trx, fn);
  }

  async audit(entry: Omit<AuditEntryInput, 'tenantId'>): Promise<void> {
    await appendAuditEntry(this.trx, { ...entry, tenantId: this.tenantId });
  }

  private orders() {
    return this.trx('orders.orders').where({ tenant_id: this.tenantId });
  }

  /** The tenant's orders, as models. */
  private orderModels() {
    return OrderModel.query(this.trx).where('orders.tenant_id', this.tenantId);
  }

  private inboxInsert(eventId: string) {
    return this.trx('orders.inbox')
      .insert({ tenant_id: this.tenantId, event_id: eventId })
      .onConflict(['tenant_id', 'event_id'])
      .ignore()
      .returning('event_id');
  }

  // bench:ingest (every event)
  async markProcessed(eventId: string): Promise<boolean> {
    const rows = await this.inboxInsert(eventId);
    return rows.length === 1;
  }

  async markProcessedAndFind(eventId: string, chargerCode: string, transactionId: string) {
    // bench:ingest (every meter value): independent statements, sent together — whether the
    // event is new decides what happens with the rest, not what is read.
    const [inserted, orders, readings] = await pipelinedInTransaction(this.trx, [
      this.inboxInsert(eventId),
      this.orders().where({ charger_code: chargerCode, transaction_id: transactionId }).limit(1),
      this.trx('orders.meter_readings as r')
        .join('orders.orders as o', function () {
          this.on('o.id', '=', 'r.order_id').andOn('o.tenant_id', '=', 'r.tenant_id');
        })
        .where({ 'o.tenant_id': this.tenantId, 'o.charger_code': chargerCode, 'o.transaction_id': transactionId })
        .orderBy('r.at')
        .select('r.at', 'r.register_wh'),
    ]);
    const order = (orders as unknown as OrderRow[])[0];
    return {
      fresh: (inserted as unknown[]).length === 1,
      order: order ? toOrder(order) : null,
      readings: (readings as unknown as { at: Date; register_wh: string }[]).map((r) => ({ at: r.at, registerWh: Number(r.register_wh) })),
    };
  }

  private lockQuery(chargerCode: string, connectorNo: number) {
    return lockQuery(this.trx, this.tenantId, chargerCode, connectorNo);
  }

  private activeQuery(chargerCode: string, connectorNo: number) {
    return this.orders().where({ charger_code: chargerCode, connector_no: connectorNo }).whereIn('state', ACTIVE_STATES).orderBy('created_at');
  }

  async lockConnector(chargerCode: string, connectorNo: number): Promise<void> {
    await this.lockQuery(chargerCode, connectorNo);
  }

  async lockConnectorAndLook(chargerCode: string, connectorNo: number, idempotencyKey: string) {
    // bench:starts (every start): sent together, run in this order — the reads see everything
    // committed before the lock was granted.
    const [, byKey, active] = await pipelinedInTransaction(this.trx, [
      this.lockQuery(chargerCode, connectorNo),
      this.orders().where({ idempotency_key: idempotencyKey }).limit(1),
      this.activeQuery(chargerCode, connectorNo),
    ]);
    const keyed = (byKey as unknown as OrderRow[])[0];
    return { byKey: keyed ? { ...toOrder(keyed), requestHash: keyed.request_hash } : null, active: (active as unknown as OrderRow[]).map(toOrder) };
  }

  async insertOrder(o: NewOrder, command?: ChargerCommand): Promise<OrderRecord | 'duplicate'> {
    // bench:starts (every start) and bench:ingest (every local start). One statement: the order and its first transition, or — when a unique constraint (the
    // idempotency key, the charger's transaction id) says it exists already — nothing at all.
    // ON CONFLICT DO NOTHING rather than catching the violation in a savepoint: the same
    // outcome without SAVEPOINT/RELEASE round trips, and nothing aborts the caller's transaction.
    const insert = this.trx('orders.orders').insert(newOrderColumns(this.tenantId, o)).onConflict().ignore().returning('*');
    const reason = o.origin === 'API' ? 'REQUESTED' : 'STARTED_AT_CHARGER';
    const m = messageColumns(o.chargerMessage);
    let q = this.trx.with('o', insert).with(
      't',
      this.trx.raw(
        `insert into orders.order_transitions (tenant_id, order_id, from_state, to_state, reason, charger_event_id, charger_event_type, charger_protocol, charger_event_at)
         select tenant_id, id, null, state, ?, ?::uuid, ?, ?, ?::timestamptz from o`,
        [reason, m.charger_event_id, m.charger_event_type, m.charger_protocol, m.charger_event_at],
      ),
    );
    if (command) {
      // The start command only if the order was new: selected from the insert's own result.
      const c = this.commandRow(command);
      q = q.with(
        'c',
        this.trx.raw('insert into orders.outbox (id, tenant_id, order_id, topic, key, payload, headers) select ?, tenant_id, id, ?, ?, ?, ? from o', [
          c.id,
          c.topic,
          c.key,
          c.payload,
          c.headers,
        ]),
      );
      this.enqueued = true;
    }
    const rows: OrderRow[] = await q.select('*').from('o');
    return rows.length ? toOrder(rows[0]) : 'duplicate';
  }

  async byId(id: string): Promise<OrderRecord | null> {
    const order = await this.orderModels().findById(id);
    return order ? toOrderRecord(order) : null;
  }

  async byIdWithReadings(id: string): Promise<OrderWithReadings | null> {
    const order = await this.orderModels()
      .findById(id)
      .withGraphFetched('readings')
      .modifyGraph('readings', (q) => void q.where('tenant_id', this.tenantId).orderBy('at'));
    return order ? toOrderWithReadings(order) : null;
  }

  async byIdempotencyKey(key: string): Promise<(OrderRecord & { requestHash: string | null }) | null> {
    const order = await this.orderModels().where('idempotency_key', key).first();
    return order ? { ...toOrderRecord(order), requestHash: order.requestHash } : null;
  }

  // bench:ingest: every start, stop and charger record finds its order by the charger's transaction id.
  async byTransaction(chargerCode: string, transactionId: string): Promise<OrderRecord | null> {
    const row = await this.orders().where({ charger_code: chargerCode, transaction_id: transactionId }).first();
    return row ? toOrder(row) : null;
  }

  // bench:ingest (local starts, meter values without a transaction id)
  async activeOnConnector(chargerCode: string, connectorNo: number): Promise<OrderRecord[]> {
    const rows: OrderRow[] = await this.activeQuery(chargerCode, connectorNo);
    return rows.map(toOrder);
  }

  // bench:ingest (the charger's confirmation of a remote start)
  async pendingStart(chargerCode: string, connectorNo: number, transactionId: string, idTag: string | null): Promise<OrderRecord | null> {
    const row = await this.orders()
      .where({ charger_code: chargerCode, connector_no: connectorNo, state: 'PENDING' })
      .whereRaw('(transaction_id = ? or (transaction_id is null and id_tag is not distinct from ?))', [transactionId, idTag])
      .orderBy('created_at')
      .first();
    return row ? toOrder(row) : null;
  }

  // bench:ingest (every stop: COMPLETED, then TO_PAY) and bench:starts (every refused start: FAILED).
  async transition(orderId: string, t: Transition): Promise<OrderRecord | null> {
    const rows: OrderRow[] = await this.withTransition(this.trx.queryBuilder(), this.trx.raw('?::uuid', [orderId]), t)
      .select('*')
      .from('u');
    return rows[0] ? toOrder(rows[0]) : null;
  }

  /**
   * The conditional update and its transition row in one statement (bench:starts and
   * bench:ingest: every state change): only from the states that may lead here — whoever comes
   * second changes nothing and no transition is written. The transition's `from` is the order's
   * last transition as the statement's snapshot has it (its own insert is not visible to it).
   * Adds the CTEs `u` (the order as moved) and `t` to `q` (data-modifying CTEs must be top-level).
   */
  private withTransition(q: Knex.QueryBuilder, orderId: Knex.Raw, t: Transition) {
    const patch: Record<string, unknown> = { state: t.to, updated_at: this.trx.fn.now() };
    for (const [k, v] of Object.entries(t.patch ?? {})) {
      if (v === undefined) continue;
      patch[PATCH_COLUMNS[k]] = k === 'bill' || k === 'chargerBill' ? JSON.stringify(v) : k === 'amount' && v !== null ? moneyToColumn(v as Money) : v;
    }
    const m = messageColumns(t.chargerMessage);
    return q.with('u', this.orders().where('id', orderId).whereIn('state', t.from).update(patch).returning('*')).with(
      't',
      this.trx.raw(
        `insert into orders.order_transitions (tenant_id, order_id, from_state, to_state, reason, charger_event_id, charger_event_type, charger_protocol, charger_event_at)
           select u.tenant_id, u.id,
                  (select l.to_state from orders.order_transitions l where l.tenant_id = u.tenant_id and l.order_id = u.id order by l.id desc limit 1),
                  u.state, ?, ?::uuid, ?, ?, ?::timestamptz
             from u`,
        [t.reason ?? null, m.charger_event_id, m.charger_event_type, m.charger_protocol, m.charger_event_at],
      ),
    );
  }

  // bench:starts (every start the charger refuses, or can't take: CHARGER_OFFLINE in the benchmark)
  async onceTransitionOfCommand(eventId: string, commandId: string, t: Transition) {
    // The event recorded, its command's order found and moved, in one statement: the order is
    // looked up only if the event is new (a replay changes nothing), and moved only from `t.from`.
    const order = this.trx.raw('(select c.order_id from orders.outbox c where c.tenant_id = ? and c.id = ?::uuid and exists (select 1 from i))', [
      this.tenantId,
      commandId,
    ]);
    const rows: (OrderRow & { fresh: boolean; command_order_id: string | null })[] = await this.withTransition(
      this.trx.queryBuilder().with('i', this.inboxInsert(eventId)),
      order,
      t,
    )
      .select(
        this.trx.raw(
          'exists (select 1 from i) as fresh, (select c.order_id from orders.outbox c where c.tenant_id = ? and c.id = ?::uuid) as command_order_id, u.*',
          [this.tenantId, commandId],
        ),
      )
      .from(this.trx.raw('(select 1) as one left join u on true'));
    const r = rows[0];
    return { fresh: r.fresh, orderId: r.fresh ? r.command_order_id : null, moved: r.id ? toOrder(r) : null };
  }

  // bench:ingest (readings that can't be trusted, stops that needed correcting)
  async addFlags(orderId: string, flags: readonly string[]): Promise<void> {
    await this.orders()
      .where({ id: orderId })
      .update({
        review_flags: this.trx.raw('(select array(select distinct unnest(review_flags || ?::text[]) order by 1))', [[...flags]]),
        updated_at: this.trx.fn.now(),
      });
  }

  // bench:ingest (every stop prices from them)
  async readings(orderId: string): Promise<MeterReading[]> {
    const rows = await this.trx('orders.meter_readings').where({ tenant_id: this.tenantId, order_id: orderId }).orderBy('at');
    return rows.map((r: { at: Date; register_wh: string }) => ({ at: r.at, registerWh: Number(r.register_wh) }));
  }

  // bench:ingest (every meter value)
  async insertReadings(orderId: string, readings: readonly MeterReading[]): Promise<number> {
    const rows = await this.trx('orders.meter_readings')
      .insert(
        readings.map((r) => ({
          tenant_id: this.tenantId,
          order_id: orderId,
          at: r.at,
          register_wh: r.registerWh,
          power_w: r.powerW ?? null,
          soc_percent: r.socPercent ?? null,
        })),
      )
      .onConflict(['order_id', 'at'])
      .ignore()
      .returning('at');
    return rows.length;
  }

  // bench:ingest (a YKC pile's record of a session whose meter start was unknown)
  async shiftReadings(orderId: string, byWh: number, atMostWh: number): Promise<void> {
    await this.trx('orders.meter_readings')
      .where({ tenant_id: this.tenantId, order_id: orderId })
      .update({ register_wh: this.trx.raw('least(register_wh + ?, ?)', [byWh, Math.max(byWh, atMostWh)]) });
  }

  async lastSerialCounter(chargerCode: string, prefix: string): Promise<number> {
    // bench:starts (every YKC start). A range over the (tenant, charger, transaction id) index: serials are digits of one length.
    const row = await this.orders()
      .where({ charger_code: chargerCode })
      .whereBetween('transaction_id', [`${prefix}0000`, `${prefix}9999`])
      .max<{ max: string | null }>('transaction_id as max')
      .first();
    return row?.max && row.max.length === prefix.length + 4 ? Number(row.max.slice(prefix.length)) : 0;
  }

  async settings(): Promise<{ ykcPreAuthorizedFen: number | null }> {
    const row = await this.trx('orders.tenant_settings').where({ tenant_id: this.tenantId }).first('ykc_pre_authorized_fen');
    return { ykcPreAuthorizedFen: row?.ykc_pre_authorized_fen ?? null };
  }

  async saveSettings(s: { ykcPreAuthorizedFen: number }): Promise<void> {
    await this.trx('orders.tenant_settings')
      .insert({ tenant_id: this.tenantId, ykc_pre_authorized_fen: s.ykcPreAuthorizedFen })
      .onConflict('tenant_id')
      .merge({ ykc_pre_authorized_fen: s.ykcPreAuthorizedFen, updated_at: this.trx.fn.now() });
  }

  async recordAnomaly(a: { kind: string; chargerCode: string; transactionId: string | null; detail: Record<string, unknown> }): Promise<void> {
    await this.trx.raw(
      `insert into orders.anomalies (tenant_id, kind, charger_code, transaction_id, detail) values (?, ?, ?, ?, ?::jsonb)
       on conflict (tenant_id, kind, charger_code, coalesce(transaction_id, '')) do nothing`,
      [this.tenantId, a.kind, a.chargerCode, a.transactionId, JSON.stringify(a.detail)],
    );
  }

  // bench:ingest (a YKC pile's record of every session)
  async recordChargerRecord(r: {
    chargerCode: string;
    transactionId: string;
    startedAt: Date;
    endedAt: Date;
    energyWh: number;
    amount: string;
    tiers?: ChargerBill['tiers'];
  }): Promise<boolean> {
    const rows = await this.trx('orders.charger_records')
      .insert({
        tenant_id: this.tenantId,
        charger_code: r.chargerCode,
        transaction_id: r.transactionId,
        started_at: r.startedAt,
        ended_at: r.endedAt,
        energy_wh: r.energyWh,
        amount: r.amount,
        tiers: JSON.stringify(r.tiers ?? []),
      })
      .onConflict(['tenant_id', 'charger_code', 'transaction_id'])
      .ignore()
      .returning('transaction_id');
    return rows.length === 1;
  }

  private commandRow(cmd: ChargerCommand): OutboxRowValues {
    return commandRow(this.tenantId, cmd);
  }

  async enqueueCommand(cmd: ChargerCommand & { orderId: string }): Promise<string> {
    const { orderId, ...command } = cmd;
    const row = this.commandRow(command);
    await this.trx('orders.outbox').insert({ ...row, order_id: orderId });
    this.enqueued = true;
    return row.id;
  }

  // bench:ingest (every priced stop)
  async enqueueOrderEvent(orderId: string, event: OrderEvent): Promise<void> {
    await outbox.enqueue(this.trx, OrderEvents, event, { extra: { order_id: orderId } });
    this.enqueued = true;
  }

  async recordPayment(orderId: string, paidAt: Date, amount: Money): Promise<OrderRecord | null> {
    const [order] = await this.orderModels()
      .where('id', orderId)
      .patch({ paidAt, paidAmount: moneyToColumn(amount), updatedAt: raw('now()') })
      .returning('*');
    return order ? toOrderRecord(order) : null;
  }

  async recordRefunded(orderId: string, refundedTotal: Money): Promise<void> {
    const total = moneyToColumn(refundedTotal);
    // Totals only grow: an older event arriving late changes nothing.
    await this.orderModels()
      .where('id', orderId)
      .where('refunded_amount', '<', total)
      .patch({ refundedAmount: total, updatedAt: raw('now()') });
  }
}
