import { randomUUID } from 'node:crypto';
import { AssetEvents, type AssetEventType, type ChargerSnapshot } from '@evcs/events';
import { Knex, OutboxWriter } from '@evcs/platform';

const outbox = new OutboxWriter('assets');

interface SnapshotRow {
  id: string;
  code: string;
  station_id: string;
  timezone: string | null;
  protocol: 'OCPP16' | 'YKC';
  connector_nos: number[];
  revision: string;
  occurred_at: Date;
  credential_revoked: boolean;
}

/**
 * Puts the chargers' registration as it is now in the outbox (evcs.asset-events.v1), in the
 * transaction that changed it. Each charger row is locked FOR UPDATE first: two transactions
 * changing one charger (a connector each) then take their snapshot and revision one after the
 * other, so the later revision always describes the later state — under READ COMMITTED the
 * snapshot statement, run after the lock was granted, sees what the other one committed.
 */
export async function publishChargers(trx: Knex.Transaction, tenantId: string, chargerIds: readonly string[], type: AssetEventType): Promise<void> {
  if (chargerIds.length === 0) return;
  await trx.raw('select 1 from assets.chargers where tenant_id = ? and id = any(?::uuid[]) order by id for update', [tenantId, [...chargerIds]]);
  const { rows } = await trx.raw<{ rows: SnapshotRow[] }>(
    `select ch.id, ch.code, ch.station_id, st.timezone, ch.protocol,
            coalesce(array_agg(k.connector_no order by k.connector_no) filter (where k.id is not null), '{}') as connector_nos,
            nextval('assets.charger_revisions') as revision, now() as occurred_at,
            bool_or(cs.credential_revoked_at is not null) is true as credential_revoked
       from assets.chargers ch
       join assets.stations st on st.id = ch.station_id and st.tenant_id = ch.tenant_id
       left join assets.charger_security cs on cs.charger_id = ch.id and cs.tenant_id = ch.tenant_id
       left join assets.connectors k on k.charger_id = ch.id and k.tenant_id = ch.tenant_id and k.retired_at is null
      where ch.tenant_id = ? and ch.id = any(?::uuid[])
      group by ch.id, st.timezone
      order by ch.id`,
    [tenantId, [...chargerIds]],
  );
  await outbox.enqueueAll(
    trx,
    AssetEvents,
    rows.map((r) => ({
      id: randomUUID(),
      version: 1 as const,
      tenantId,
      occurredAt: r.occurred_at.toISOString(),
      type,
      data: snapshotOf(r),
    })),
  );
}

const snapshotOf = (r: SnapshotRow): ChargerSnapshot => ({
  chargerId: r.id,
  code: r.code,
  stationId: r.station_id,
  timezone: r.timezone,
  protocol: r.protocol,
  connectorNos: r.connector_nos.map(Number),
  revision: Number(r.revision),
  // only while revoked, so the snapshots of every other charger read as they always have
  ...(r.credential_revoked ? { credentialRevoked: true } : {}),
});

/** The active chargers of a station (a change of the station's time zone is a change of each). */
export async function chargersOfStation(trx: Knex.Transaction, tenantId: string, stationId: string): Promise<string[]> {
  const { rows } = await trx.raw<{ rows: { id: string }[] }>(
    "select id from assets.chargers where tenant_id = ? and station_id = ? and registration_state = 'REGISTERED'",
    [tenantId, stationId],
  );
  return rows.map((r) => r.id);
}
