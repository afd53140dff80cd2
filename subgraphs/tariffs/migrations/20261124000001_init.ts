import type { Knex } from 'knex';
import { tenantRlsStatements } from '@evcs/platform';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table tariffs.tariff_plans (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null,
      station_id uuid,
      name text not null,
      currency char(3) not null default 'CNY',
      status text not null default 'ACTIVE' check (status in ('ACTIVE','RETIRED')),
      created_at timestamptz not null default now()
    );
    create index tariff_plans_tenant_station on tariffs.tariff_plans (tenant_id, station_id);
  `);
  for (const stmt of tenantRlsStatements('tariffs.tariff_plans')) await knex.raw(stmt);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table if exists tariffs.tariff_plans');
}
