import { Knex, TenantBatches } from '@evcs/platform';
import type { StatusStore } from '../domain/ports';
import type { ApplyOutcome, ChargerPresence, StatusObservation } from '../domain/status';

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
