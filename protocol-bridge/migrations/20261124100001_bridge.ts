import { tenantRlsStatements, type Knex } from '@evcs/platform';

/**
 * The bridge's own state. Every row belongs to the tenant of the charger it is
 * about, with FORCE'd row-level security like every other schema; the bridge
 * learns the tenant from the charger directory before it touches a row.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    -- OCPP transaction ids: integers (the OCPP schema says integer; chargers store int32),
    -- issued from one sequence so they are unique across bridge instances and restarts.
    create sequence bridge.ocpp_transaction_ids as integer start 1000 no cycle;
    create table bridge.ocpp_transactions (
      id integer primary key default nextval('bridge.ocpp_transaction_ids'),
      tenant_id uuid not null,
      charger_code text not null,
      connector_id integer not null,
      id_tag text not null,
      meter_start bigint not null,
      started_at timestamptz not null,
      -- a charger resends StartTransaction with a new message id when our reply was lost:
      -- the same session is the same natural key and gets the same id.
      unique (charger_code, connector_id, id_tag, meter_start, started_at),
      start_resends integer not null default 0,
      meter_stop bigint,
      stopped_at timestamptz,
      stop_reason text,
      created_at timestamptz not null default now()
    );
    alter sequence bridge.ocpp_transaction_ids owned by bridge.ocpp_transactions.id;

    -- YKC transaction records (0x3B), deduplicated by the 16-byte serial: the pile
    -- resends a record until 0x40 confirms it. published_at is set once the event
    -- is on Kafka; a resend of a published record is only confirmed again.
    create table bridge.ykc_transaction_records (
      serial text primary key check (serial ~ '^[0-9]{32}$'),
      tenant_id uuid not null,
      charger_code text not null,
      gun_no integer not null,
      received_at timestamptz not null default now(),
      published_at timestamptz,
      resends integer not null default 0
    );

    -- Per-charger passwords for OCPP security profiles 1 and 2 (HTTP Basic).
    -- Kept by the bridge, not assets: only the bridge ever checks them. scrypt, see src/ocpp/credentials.ts.
    create table bridge.charger_credentials (
      charger_code text primary key,
      tenant_id uuid not null,
      password_hash text not null,
      updated_at timestamptz not null default now()
    );

    -- How a tenant wants its registered-but-not-yet-commissioned chargers answered at boot.
    create table bridge.tenant_policies (
      tenant_id uuid primary key,
      boot_status text not null default 'Accepted' check (boot_status in ('Accepted', 'Pending')),
      -- refuse chargers of this tenant that have no password (security profile 0)
      require_password boolean not null default false,
      updated_at timestamptz not null default now()
    );

    -- Which bridge instance holds which charger's connection (command routing).
    -- seen_at is refreshed while the connection lives; a stale row is an offline charger.
    create table bridge.charger_connections (
      charger_code text primary key,
      tenant_id uuid not null,
      bridge_id text not null,
      protocol text not null,
      connected_at timestamptz not null,
      seen_at timestamptz not null
    );

    -- One result per command, whichever instance decides it (the holder executes;
    -- the others race to report CHARGER_OFFLINE only when nobody holds the charger).
    create table bridge.command_outcomes (
      command_id uuid primary key,
      tenant_id uuid not null,
      charger_code text not null,
      bridge_id text not null,
      decided_at timestamptz not null default now()
    );
  `);
  for (const t of ['ocpp_transactions', 'ykc_transaction_records', 'charger_credentials', 'tenant_policies', 'charger_connections', 'command_outcomes']) {
    for (const sql of tenantRlsStatements(`bridge.${t}`)) await knex.raw(sql);
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`drop table if exists bridge.command_outcomes, bridge.charger_connections, bridge.tenant_policies,
    bridge.charger_credentials, bridge.ykc_transaction_records, bridge.ocpp_transactions cascade`);
}
