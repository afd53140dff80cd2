import { Knex, TenantBatches, UNPREPARED } from '@evcs/platform';
import type { StatusStore } from '../domain/ports';
import type { ApplyOutcome, ChargerPresence, StatusObservation } from '../domain/status';

/** What the first statement of applyConnectorStatuses returns per event: the state before the run. */
interface StoredBefore {
  ord: number;
  charger_id: string | null;
  online: boolean | null;
  last_seen_at: Date | null;
  connector_id: string | null;
  status: string | null;
  status_at: Date | null;
  fresh: boolean;
}

/** knex's binding types have no arrays with nulls; pg sends null elements as NULL. */
const withNulls = (values: (string | null)[]) => values as string[];

interface ConnectorState {
  id: string;
  status: string;
  errorCode: string | null;
  statusAt: Date | null;
}

/** Online after a status at `at` of a charger stored as `row` (presence moves forward in time only). */
const onlineAt = (row: StoredBefore, at: Date) => row.online === true || row.last_seen_at === null || row.last_seen_at.getTime() <= at.getTime();

function connectorOf(connectors: Map<string, ConnectorState & { dirty: boolean }>, row: StoredBefore) {
  // A connector another transaction created after our snapshot: the run goes again one by one.
  if (!row.connector_id || row.status === null) throw new Error('status run: connector row not visible');
  let c = connectors.get(row.connector_id);
  if (!c) {
    c = { id: row.connector_id, status: row.status, errorCode: null, statusAt: row.status_at, dirty: false };
    connectors.set(c.id, c);
  }
  return c;
}

/**
 * Applies a run of statuses in order to the stored state, as applyConnectorStatus does one
 * event at a time: unknown charger; duplicate (its history row existed, or the same event
 * earlier in the run); stale unless newer than the connector's status — or the connector is
 * Offline and its charger is online again by then (online turns true at the first event of
 * the charger at or after the stored last_seen_at). Returns the outcomes and each changed
 * connector's final state.
 */
function foldStatuses(
  obs: readonly StatusObservation[],
  before: readonly StoredBefore[],
): { outcomes: ApplyOutcome[]; changed: (ConnectorState & { statusAt: Date })[] } {
  const connectors = new Map<string, ConnectorState & { dirty: boolean }>();
  const onlineBy = new Map<string, boolean>();
  const seenEvents = new Set<string>();
  const outcomes = obs.map((o, k): ApplyOutcome => {
    const row = before[k];
    if (row?.ord !== k) throw new Error('status run: rows out of order');
    if (!row.charger_id) return 'unknown-charger';
    const online = onlineBy.get(row.charger_id) === true || onlineAt(row, o.occurredAt);
    onlineBy.set(row.charger_id, online);
    const c = connectorOf(connectors, row);
    const repeated = seenEvents.has(o.eventId);
    seenEvents.add(o.eventId);
    if (!row.fresh || repeated) return 'duplicate';
    if (c.statusAt !== null && c.statusAt.getTime() > o.occurredAt.getTime() && !(c.status === 'Offline' && online)) return 'stale';
    Object.assign(c, { status: o.status, errorCode: o.errorCode, statusAt: o.occurredAt, dirty: true });
    return 'applied';
  });
  const changed = [...connectors.values()].flatMap(({ id, status, errorCode, statusAt, dirty }) =>
    dirty && statusAt ? [{ id, status, errorCode, statusAt }] : [],
  );
  return { outcomes, changed };
}

/**
 * Stays on knex and TenantBatches, not the objection models: this is the ingest path of
 * `npm run bench:ingest` (docs/benchmarks.md), where a tenant's status events share one
 * transaction per batch and each event is a few conditional statements (upsert-or-select,
 * insert on conflict do nothing, compare-and-set update) that objection would only wrap in raw().
 *
 * Idempotence and ordering are enforced by the database, never by read-then-write:
 * the history row's unique event_id makes a replay a no-op, and the connector
 * update is conditional on the stored status being older.
 */
export class PgStatusStore implements StatusStore {
  private readonly batches: TenantBatches;

  constructor(knex: Knex) {
    this.batches = new TenantBatches(knex);
  }

  batch<T>(tenantId: string, fn: () => Promise<T>): Promise<T> {
    return this.batches.batch(tenantId, fn);
  }

  async applyConnectorStatus(tenantId: string, obs: StatusObservation): Promise<ApplyOutcome> {
    return this.batches.run(tenantId, async (trx) => {
      const charger = await trx.raw<{ rows: { id: string; online: boolean }[] }>(
        // Like presence, "online" only moves forward in time: a replayed or late status
        // from before a disconnect must not mark a lost charger online again.
        `update chargers set last_seen_at = greatest(coalesce(last_seen_at, ?::timestamptz), ?::timestamptz),
                online = case when last_seen_at is null or last_seen_at <= ? then true else online end, updated_at = now()
          where tenant_id = ? and code = ? and registration_state = 'REGISTERED' returning id, online`,
        [obs.occurredAt, obs.occurredAt, obs.occurredAt, tenantId, obs.chargerCode],
      );
      const chargerId = charger.rows[0]?.id;
      const chargerOnline = charger.rows[0]?.online ?? false;
      if (!chargerId) return 'unknown-charger';
      // A registered charger reports its own connectors; create the row on first sight.
      const conn = await trx.raw<{ rows: { id: string }[] }>(
        `with ins as (
           insert into connectors (tenant_id, charger_id, connector_no) values (?, ?, ?)
           on conflict (charger_id, connector_no) do nothing returning id)
         select id from ins union all select id from connectors where charger_id = ? and connector_no = ? limit 1`,
        [tenantId, chargerId, obs.connectorNo, chargerId, obs.connectorNo],
      );
      const connectorId = conn.rows[0].id;
      const hist = await trx.raw<{ rowCount: number }>(
        `insert into connector_status_history (tenant_id, connector_id, event_id, status, error_code, occurred_at)
         values (?, ?, ?, ?, ?, ?) on conflict (event_id) do nothing`,
        [tenantId, connectorId, obs.eventId, obs.status, obs.errorCode, obs.occurredAt],
      );
      if (hist.rowCount === 0) return 'duplicate';
      // Offline carries the bridge's clock (time of the disconnect), statuses the
      // charger's: once the charger is back online, whatever it reports replaces
      // Offline even if its clock lags the bridge's. While it is offline, a late or
      // replayed older status does not.
      const upd = await trx.raw<{ rowCount: number }>(
        `update connectors set status = ?, error_code = ?, status_at = ?, updated_at = now()
          where id = ? and tenant_id = ? and (status_at is null or status_at <= ? or (status = 'Offline' and ?::boolean))`,
        [obs.status, obs.errorCode, obs.occurredAt, connectorId, tenantId, obs.occurredAt, chargerOnline],
      );
      return upd.rowCount === 1 ? 'applied' : 'stale';
    });
  }

  /**
   * The set-based form of applyConnectorStatus for a run of statuses (bench:ingest: four
   * dependent statements per event were the cost). Two statements, whatever the run's length:
   *
   * 1. charger presence (each charger once, with its latest time — the same result as one
   *    update per event, since last_seen_at only grows), connector rows created on first sight,
   *    the history rows inserted (`on conflict (event_id) do nothing` — a replay inserts
   *    none), returning per event what was stored before: the charger's online/last_seen_at
   *    and the connector's status/status_at, with charger and connector rows locked;
   * 2. the connectors whose status changed, each set once to its final state.
   *
   * Between the two, the run is folded in order exactly as applyConnectorStatus would apply
   * it one event at a time (`foldStatuses`), on rows locked since the first statement.
   *
   * Both are planned for their arrays every time (UNPREPARED): the generic plan Postgres keeps
   * for a prepared statement after five runs made them 3–10× slower (600 statuses: 60 → 250 ms
   * and 15 → 180 ms), and that, not the consumer's fetch cycle, was what a status waited for.
   */
  async applyConnectorStatuses(tenantId: string, obs: readonly StatusObservation[]): Promise<ApplyOutcome[]> {
    if (obs.length === 0) return [];
    return this.batches.run(tenantId, async (trx) => {
      const res = await trx
        .raw<{ rows: StoredBefore[] }>(
          `with input as (
           select * from unnest(?::int[], ?::uuid[], ?::text[], ?::int[], ?::text[], ?::text[], ?::timestamptz[])
             as t(ord, event_id, code, connector_no, status, error_code, occurred_at)
         ), seen as (
           select code, max(occurred_at) as at from input group by code
         ), old as (
           select c.id, c.code, c.online, c.last_seen_at, s.at from chargers c join seen s on s.code = c.code
            where c.tenant_id = ? and c.registration_state = 'REGISTERED'
              for update of c
         ), presence as (
           -- like presence, "online" only moves forward in time (see applyConnectorStatus)
           update chargers c set last_seen_at = greatest(coalesce(c.last_seen_at, o.at), o.at),
                  online = case when c.last_seen_at is null or c.last_seen_at <= o.at then true else c.online end,
                  updated_at = now()
             from old o where c.id = o.id
           returning c.id
         ), wanted as (
           select distinct o.id as charger_id, i.connector_no from input i join old o on o.code = i.code
         ), existing as (
           select k.id, k.charger_id, k.connector_no, k.status, k.status_at
             from connectors k join wanted w on w.charger_id = k.charger_id and w.connector_no = k.connector_no
              for update of k
         ), created as (
           insert into connectors (tenant_id, charger_id, connector_no)
           select ?, w.charger_id, w.connector_no from wanted w
            where not exists (select 1 from existing e where e.charger_id = w.charger_id and e.connector_no = w.connector_no)
           on conflict (charger_id, connector_no) do nothing
           returning id, charger_id, connector_no, status, status_at
         ), conn as (
           select * from existing union all select * from created
         ), hist as (
           -- recorded_at: when this statement wrote it (now() would be the transaction's start)
           insert into connector_status_history (tenant_id, connector_id, event_id, status, error_code, occurred_at, recorded_at)
           select ?, k.id, i.event_id, i.status, i.error_code, i.occurred_at, clock_timestamp()
             from input i join old o on o.code = i.code join conn k on k.charger_id = o.id and k.connector_no = i.connector_no
            order by i.ord
           on conflict (event_id) do nothing
           returning event_id
         )
         -- hist joined, not probed with exists (...): a CTE has no index, and a probe per input row
         -- made a run of n events cost n² (a thousand took a second)
         select i.ord, o.id as charger_id, o.online, o.last_seen_at, k.id as connector_id, k.status, k.status_at,
                h.event_id is not null as fresh
           from input i
           left join old o on o.code = i.code
           left join conn k on k.charger_id = o.id and k.connector_no = i.connector_no
           left join hist h on h.event_id = i.event_id
          order by i.ord`,
          [
            obs.map((_, k) => k),
            obs.map((o) => o.eventId),
            obs.map((o) => o.chargerCode),
            obs.map((o) => o.connectorNo),
            obs.map((o) => o.status),
            withNulls(obs.map((o) => o.errorCode)),
            obs.map((o) => o.occurredAt),
            tenantId,
            tenantId,
            tenantId,
          ],
        )
        .options(UNPREPARED);
      const { outcomes, changed } = foldStatuses(obs, res.rows);
      if (changed.length > 0) {
        await trx
          .raw(
            `update connectors c set status = v.status, error_code = v.error_code, status_at = v.status_at, updated_at = now()
             from unnest(?::uuid[], ?::text[], ?::text[], ?::timestamptz[]) as v(id, status, error_code, status_at)
            where c.id = v.id and c.tenant_id = ?`,
            [changed.map((c) => c.id), changed.map((c) => c.status), withNulls(changed.map((c) => c.errorCode)), changed.map((c) => c.statusAt), tenantId],
          )
          .options(UNPREPARED);
      }
      return outcomes;
    });
  }

  async applyPresence(tenantId: string, p: ChargerPresence): Promise<'applied' | 'unknown-charger'> {
    return this.batches.run(tenantId, async (trx) => {
      const sets: string[] = ['last_seen_at = greatest(coalesce(last_seen_at, ?::timestamptz), ?::timestamptz)', 'updated_at = now()'];
      const params: Knex.Value[] = [p.at, p.at];
      if (p.online !== undefined) {
        // Presence only moves forward in time: a late "disconnected" must not mark
        // a charger offline that has since reconnected.
        sets.push('online = case when last_seen_at is null or last_seen_at <= ? then ? else online end');
        params.push(p.at, p.online);
      }
      if (p.boot) {
        sets.push('vendor = ?', 'model = ?', 'firmware_version = coalesce(?, firmware_version)');
        params.push(p.boot.vendor, p.boot.model, p.boot.firmwareVersion ?? null);
      }
      if (p.notice) {
        // the latest by the charger's time: a late notice does not overwrite a newer one
        const col = p.notice.kind === 'FIRMWARE' ? 'firmware' : 'diagnostics';
        sets.push(
          `${col}_status = case when ${col}_status_at is null or ${col}_status_at <= ? then ? else ${col}_status end`,
          `${col}_status_at = greatest(coalesce(${col}_status_at, ?::timestamptz), ?::timestamptz)`,
        );
        params.push(p.at, p.notice.status, p.at, p.at);
      }
      const res = await trx.raw<{ rows: { id: string; online: boolean }[] }>(
        `update chargers set ${sets.join(', ')} where tenant_id = ? and code = ? and registration_state = 'REGISTERED' returning id, online`,
        [...params, tenantId, p.chargerCode],
      );
      const charger = res.rows[0];
      if (!charger) return 'unknown-charger';
      if (p.online === false && !charger.online) await PgStatusStore.markConnectorsOffline(trx, tenantId, charger.id, p);
      return 'applied';
    });
  }

  /**
   * A charger we lost: its connectors show Offline from the moment of the
   * disconnect, recorded in the history like any status (one row per
   * connector, with an event id derived from the disconnect's, so a replay adds
   * none). Statuses newer than the disconnect stay; the charger's own
   * StatusNotifications after it reconnects replace Offline.
   */
  private static async markConnectorsOffline(trx: Knex.Transaction, tenantId: string, chargerId: string, p: ChargerPresence): Promise<void> {
    await trx.raw(
      `with changed as (
         update connectors set status = 'Offline', error_code = null, status_at = ?, updated_at = now()
          where tenant_id = ? and charger_id = ? and retired_at is null and status <> 'Offline' and (status_at is null or status_at <= ?)
          returning id)
       insert into connector_status_history (tenant_id, connector_id, event_id, status, error_code, occurred_at)
       select ?, id, md5(?::text || ':' || id::text)::uuid, 'Offline', null, ? from changed
       on conflict (event_id) do nothing`,
      [p.at, tenantId, chargerId, p.at, tenantId, p.eventId, p.at],
    );
  }
}
