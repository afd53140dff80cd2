import type { Knex } from 'knex';
import { tenantRlsStatements } from '@evcs/platform';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table orders.charging_orders (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null,
      station_id uuid,
      charger_id uuid,
      connector_no int,
      status text not null default 'PENDING',
      started_at timestamptz,
      ended_at timestamptz,
      created_at timestamptz not null default now()
    );
    create index charging_orders_tenant_started on orders.charging_orders (tenant_id, started_at desc);
  `);
  for (const stmt of tenantRlsStatements('orders.charging_orders')) await knex.raw(stmt);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table if exists orders.charging_orders');
}
