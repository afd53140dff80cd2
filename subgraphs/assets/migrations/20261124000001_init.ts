import type { Knex } from 'knex';
import { tenantRlsStatements } from '@evcs/platform';

/**
 * Stations, chargers, connectors and connector status history. Every table is
 * tenant-owned: it carries tenant_id, and FORCE'd row-level security keys on
 * the per-transaction `app.tenant_id` setting.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table assets.stations (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null,
      code text not null,
      name text not null,
      address text,
      latitude numeric(9,6),
      longitude numeric(9,6),
      timezone text not null default 'Asia/Shanghai',
      status text not null default 'OPERATING'
        check (status in ('BUILDING','OPERATING','MAINTENANCE','CLOSED')),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (tenant_id, code)
    );
    create table assets.chargers (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null,
      station_id uuid not null references assets.stations(id),
      -- the charge point identity it connects with. Globally unique: a connecting
      -- charger names only itself, so its identity must resolve to one tenant.
      code text not null unique,
      current_type text not null default 'DC' check (current_type in ('AC','DC')),
      rated_power_kw numeric(8,2),
      protocol text not null default 'OCPP16' check (protocol in ('OCPP16','YKC')),
      vendor text,
      model text,
      firmware_version text,
      registration_state text not null default 'REGISTERED' check (registration_state in ('REGISTERED','RETIRED')),
      online boolean not null default false,
      last_seen_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index chargers_tenant_station on assets.chargers (tenant_id, station_id);
    create table assets.connectors (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null,
      charger_id uuid not null references assets.chargers(id),
      connector_no int not null check (connector_no between 1 and 255),
      plug_type text,
      max_power_kw numeric(8,2),
      status text not null default 'Unavailable',
      error_code text,
      -- the charger-side time of the status we hold; older events never overwrite it
      status_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (charger_id, connector_no)
    );
    create index connectors_tenant_charger on assets.connectors (tenant_id, charger_id);
    create table assets.connector_status_history (
      id bigint generated always as identity primary key,
      tenant_id uuid not null,
      connector_id uuid not null references assets.connectors(id),
      event_id uuid not null unique,
      status text not null,
      error_code text,
      occurred_at timestamptz not null,
      recorded_at timestamptz not null default now()
    );
    create index connector_status_history_conn on assets.connector_status_history (tenant_id, connector_id, occurred_at desc);

    -- The one deliberate cross-tenant read: the protocol bridge resolves a
    -- connecting charger's identity to its tenant. Narrow, read-only, owned by the
    -- owner role (which bypasses RLS); callable by the app role.
    create function assets.resolve_charger_registration(p_code text)
      returns table (charger_id uuid, tenant_id uuid, station_id uuid)
      language sql stable security definer set search_path = assets, pg_temp
      as $$ select id, tenant_id, station_id from assets.chargers
            where code = p_code and registration_state = 'REGISTERED' $$;
  `);
  for (const t of ['stations', 'chargers', 'connectors', 'connector_status_history']) {
    for (const stmt of tenantRlsStatements(`assets.${t}`)) await knex.raw(stmt);
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop function if exists assets.resolve_charger_registration(text);
    drop table if exists assets.connector_status_history;
    drop table if exists assets.connectors;
    drop table if exists assets.chargers;
    drop table if exists assets.stations;
  `);
}
