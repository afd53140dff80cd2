import type { Knex } from 'knex';
import { tenantRlsStatements } from '@evcs/platform';

/**
 * Versioned plans and charger bindings.
 *
 * - A plan belongs to a station (station_id) or to the tenant (station_id null).
 *   At most one ACTIVE default per station and one per tenant (partial unique
 *   indexes); the 16-active-plans-per-station limit is enforced by the service
 *   under a per-station advisory lock (a count can't be a constraint).
 * - Versions are immutable rows; editing a plan inserts version n+1 with an
 *   effective_from. Segments are stored as the API shows them (HH:MM strings,
 *   4-place decimal strings): never floats.
 * - Bindings name chargers and stations by their assets ids (uuid) — this
 *   subgraph cannot join assets' tables. The charger's protocol is kept beside the
 *   binding because a YKC charger can only take a plan its billing model can hold.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    alter table tariffs.tariff_plans
      add column timezone text not null default 'Asia/Shanghai',
      add column is_default boolean not null default false,
      add column updated_at timestamptz not null default now(),
      add column retired_at timestamptz;
    create unique index tariff_plans_one_station_default on tariffs.tariff_plans (tenant_id, station_id)
      where is_default and status = 'ACTIVE' and station_id is not null;
    create unique index tariff_plans_one_tenant_default on tariffs.tariff_plans (tenant_id)
      where is_default and status = 'ACTIVE' and station_id is null;

    create table tariffs.tariff_plan_versions (
      tenant_id uuid not null,
      plan_id uuid not null references tariffs.tariff_plans(id),
      version int not null check (version >= 1),
      effective_from timestamptz not null,
      segments jsonb not null check (jsonb_typeof(segments) = 'array' and jsonb_array_length(segments) between 1 and 96),
      created_at timestamptz not null default now(),
      created_by text,
      primary key (plan_id, version)
    );
    create index tariff_plan_versions_tenant on tariffs.tariff_plan_versions (tenant_id, plan_id);

    create table tariffs.charger_tariff_bindings (
      tenant_id uuid not null,
      charger_id uuid not null,
      station_id uuid not null,
      protocol text not null check (protocol in ('OCPP16','YKC')),
      plan_id uuid not null references tariffs.tariff_plans(id),
      bound_at timestamptz not null default now(),
      bound_by text,
      primary key (tenant_id, charger_id)
    );
    create index charger_tariff_bindings_plan on tariffs.charger_tariff_bindings (tenant_id, plan_id);
  `);
  for (const t of ['tariff_plan_versions', 'charger_tariff_bindings']) {
    for (const stmt of tenantRlsStatements(`tariffs.${t}`)) await knex.raw(stmt);
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop table if exists tariffs.charger_tariff_bindings;
    drop table if exists tariffs.tariff_plan_versions;
    drop index if exists tariffs.tariff_plans_one_station_default;
    drop index if exists tariffs.tariff_plans_one_tenant_default;
    alter table tariffs.tariff_plans drop column timezone, drop column is_default, drop column updated_at, drop column retired_at;
  `);
}
