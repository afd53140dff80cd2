import { inTenantInOneTrip, Knex } from '@evcs/platform';
import { BridgeStore, ConnectionHolder, OcppStart, OcppStop, RecordClaim, StartOutcome, StopOutcome } from '../ports';

/** The bridge's state in Postgres schema `bridge`, every statement under the charger's tenant (RLS). */
export class PgBridgeStore implements BridgeStore {
  constructor(
    private readonly knex: Knex,
    /** Codes per liveness refresh statement (touchConnections). */
    private readonly touchChunk = 2_000,
  ) {}

  /**
   * Every method is one statement: BEGIN with the tenant, the statement and COMMIT go in
   * one round trip (these run per charger message: session starts and stops, records,
   * connections, commands).
   */
  private async one<T>(tenantId: string, build: (k: Knex) => Knex.QueryBuilder | Knex.Raw): Promise<T> {
    const [result] = await inTenantInOneTrip(this.knex, tenantId, [build(this.knex)]);
    return result as T;
  }

  async startTransaction(tenantId: string, s: OcppStart): Promise<StartOutcome> {
    // One statement: a resend hits the natural key and gets the same id back; xmax = 0 only for a fresh insert.
    const { rows } = await this.one<{ rows: { id: number; inserted: boolean }[] }>(tenantId, (trx) =>
      trx.raw(
        `insert into bridge.ocpp_transactions (tenant_id, charger_code, connector_id, id_tag, meter_start, started_at)
         values (?, ?, ?, ?, ?, ?)
         on conflict (charger_code, connector_id, id_tag, meter_start, started_at)
           do update set start_resends = bridge.ocpp_transactions.start_resends + 1
         returning id, (xmax = 0) as inserted`,
        [tenantId, s.chargerCode, s.connectorId, s.idTag, s.meterStart, s.startedAt],
      ),
    );
    return { transactionId: rows[0].id, resend: !rows[0].inserted };
  }

  async stopTransaction(tenantId: string, s: OcppStop): Promise<StopOutcome> {
    const { rows } = await this.one<{ rows: { connector_id: number; id_tag: string; was_stopped: boolean }[] }>(tenantId, (trx) =>
      trx.raw(
        `update bridge.ocpp_transactions t
            set meter_stop = coalesce(t.meter_stop, ?), stopped_at = coalesce(t.stopped_at, ?), stop_reason = coalesce(t.stop_reason, ?)
           from (select id, stopped_at is not null as was_stopped from bridge.ocpp_transactions where id = ? and charger_code = ? for update) old
          where t.id = old.id
         returning t.connector_id, t.id_tag, old.was_stopped`,
        [s.meterStop, s.stoppedAt, s.reason ?? null, s.transactionId, s.chargerCode],
      ),
    );
    if (rows.length === 0) return { known: false };
    return { known: true, connectorId: rows[0].connector_id, idTag: rows[0].id_tag, alreadyStopped: rows[0].was_stopped };
  }

  async claimTransactionRecord(tenantId: string, r: { serial: string; chargerCode: string; gunNo: number }): Promise<RecordClaim> {
    const { rows } = await this.one<{ rows: { inserted: boolean; published: boolean }[] }>(tenantId, (trx) =>
      trx.raw(
        `insert into bridge.ykc_transaction_records (serial, tenant_id, charger_code, gun_no) values (?, ?, ?, ?)
         on conflict (serial) do update set resends = bridge.ykc_transaction_records.resends + 1
         returning (xmax = 0) as inserted, published_at is not null as published`,
        [r.serial, tenantId, r.chargerCode, r.gunNo],
      ),
    );
    const row = rows[0];
    return row.inserted ? 'new' : row.published ? 'published' : 'unpublished-resend';
  }

  async markRecordPublished(tenantId: string, serial: string): Promise<void> {
    await this.one(tenantId, (trx) =>
      trx.raw('update bridge.ykc_transaction_records set published_at = coalesce(published_at, now()) where serial = ?', [serial]),
    );
  }

  async holdConnection(tenantId: string, c: { chargerCode: string; bridgeId: string; protocol: string; at: Date }): Promise<void> {
    await this.one(tenantId, (trx) =>
      trx.raw(
        `insert into bridge.charger_connections (charger_code, tenant_id, bridge_id, protocol, connected_at, seen_at) values (?, ?, ?, ?, ?, ?)
         on conflict (charger_code) do update set bridge_id = excluded.bridge_id, protocol = excluded.protocol,
           connected_at = excluded.connected_at, seen_at = excluded.seen_at`,
        [c.chargerCode, tenantId, c.bridgeId, c.protocol, c.at, c.at],
      ),
    );
  }

  async touchConnections(bridgeId: string, held: { tenantId: string; chargerCode: string }[], at: Date): Promise<void> {
    // Grouped in one pass: copying the tenant's list for each code made this quadratic — at
    // 20,000 chargers of one tenant ~200 M copies, a loop blocked for a second every sweep
    // (docs/benchmarks.md, "Concurrent OCPP connections", session 12).
    const byTenant = new Map<string, string[]>();
    for (const h of held) {
      const codes = byTenant.get(h.tenantId);
      if (codes) codes.push(h.chargerCode);
      else byTenant.set(h.tenantId, [h.chargerCode]);
    }
    for (const [tenantId, codes] of byTenant) {
      // Bounded statements: each encodes its array in one go on the loop, and holds its row locks briefly.
      for (let i = 0; i < codes.length; i += this.touchChunk) {
        const chunk = codes.slice(i, i + this.touchChunk);
        await this.one(tenantId, (trx) =>
          trx.raw('update bridge.charger_connections set seen_at = ? where bridge_id = ? and charger_code = any(?)', [at, bridgeId, chunk]),
        );
      }
    }
  }

  async releaseConnection(tenantId: string, chargerCode: string, bridgeId: string): Promise<void> {
    await this.one(tenantId, (trx) => trx('bridge.charger_connections').where({ charger_code: chargerCode, bridge_id: bridgeId }).delete());
  }

  async connectionHolder(tenantId: string, chargerCode: string): Promise<ConnectionHolder | null> {
    const row = await this.one<{ bridge_id: string; protocol: string; seen_at: Date } | undefined>(tenantId, (trx) =>
      trx('bridge.charger_connections').where({ charger_code: chargerCode }).first('bridge_id', 'protocol', 'seen_at'),
    );
    return row ? { bridgeId: row.bridge_id, protocol: row.protocol, seenAt: new Date(row.seen_at) } : null;
  }

  async claimCommand(tenantId: string, c: { commandId: string; chargerCode: string; bridgeId: string }): Promise<boolean> {
    const { rows } = await this.one<{ rows: unknown[] }>(tenantId, (trx) =>
      trx.raw(
        `insert into bridge.command_outcomes (command_id, tenant_id, charger_code, bridge_id) values (?, ?, ?, ?) on conflict (command_id) do nothing returning 1`,
        [c.commandId, tenantId, c.chargerCode, c.bridgeId],
      ),
    );
    return rows.length === 1;
  }

  async claimUnlessHeldElsewhere(tenantId: string, c: { commandId: string; chargerCode: string; bridgeId: string; freshSince: Date }) {
    // One statement where there were two transactions (bench:starts: every start on a charger no
    // bridge holds). The lookup and the insert share one snapshot: a bridge that takes the
    // charger a moment later sees the claim and does not decide the command twice.
    const { rows } = await this.one<{ rows: { bridge_id: string | null; protocol: string | null; seen_at: Date | null; claimed: boolean }[] }>(
      tenantId,
      (trx) =>
        trx.raw(
          `with h as (select bridge_id, protocol, seen_at from bridge.charger_connections where tenant_id = ? and charger_code = ?),
              c as (insert into bridge.command_outcomes (command_id, tenant_id, charger_code, bridge_id)
                    select ?, ?, ?, ? where not exists (select 1 from h where h.bridge_id <> ? and h.seen_at >= ?)
                    on conflict (command_id) do nothing returning 1)
         select h.bridge_id, h.protocol, h.seen_at, exists (select 1 from c) as claimed from (select 1) one left join h on true`,
          [tenantId, c.chargerCode, c.commandId, tenantId, c.chargerCode, c.bridgeId, c.bridgeId, c.freshSince],
        ),
    );
    const r = rows[0];
    return { holder: r.bridge_id ? { bridgeId: r.bridge_id, protocol: r.protocol!, seenAt: new Date(r.seen_at!) } : null, claimed: r.claimed };
  }

  async close(): Promise<void> {
    await this.knex.destroy();
  }
}
