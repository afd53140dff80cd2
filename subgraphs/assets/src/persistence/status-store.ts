import { Knex, withTenant } from '@evcs/platform';
import type { ApplyOutcome, ChargerPresence, StatusObservation, StatusStore } from '../domain/status';

/**
 * Idempotence and ordering are enforced by the database, never by read-then-write:
 * the history row's unique event_id makes a replay a no-op, and the connector
 * update is conditional on the stored status being older.
 */
export class PgStatusStore implements StatusStore {
  constructor(private readonly knex: Knex) {}

  async applyConnectorStatus(tenantId: string, obs: StatusObservation): Promise<ApplyOutcome> {
    return withTenant(this.knex, tenantId, async (trx) => {
      const charger = await trx.raw<{ rows: { id: string }[] }>(
        `update chargers set last_seen_at = greatest(coalesce(last_seen_at, ?::timestamptz), ?::timestamptz), online = true, updated_at = now()
          where tenant_id = ? and code = ? returning id`,
        [obs.occurredAt, obs.occurredAt, tenantId, obs.chargerCode],
      );
      const chargerId = charger.rows[0]?.id;
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
      const upd = await trx.raw<{ rowCount: number }>(
        `update connectors set status = ?, error_code = ?, status_at = ?, updated_at = now()
          where id = ? and tenant_id = ? and (status_at is null or status_at <= ?)`,
        [obs.status, obs.errorCode, obs.occurredAt, connectorId, tenantId, obs.occurredAt],
      );
      return upd.rowCount === 1 ? 'applied' : 'stale';
    });
  }

  async applyPresence(tenantId: string, p: ChargerPresence): Promise<'applied' | 'unknown-charger'> {
    return withTenant(this.knex, tenantId, async (trx) => {
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
      const res = await trx.raw<{ rowCount: number }>(`update chargers set ${sets.join(', ')} where tenant_id = ? and code = ?`, [
        ...params,
        tenantId,
        p.chargerCode,
      ]);
      return res.rowCount === 1 ? 'applied' : 'unknown-charger';
    });
  }
}
