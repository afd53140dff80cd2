import type { Knex } from 'knex';
import { tenantRlsStatements } from '@evcs/platform';

/**
 * YKC sessions billed from what the pile reports. The pile's own bill (its
 * total and per-tier energy and amounts) is kept beside the platform's on the
 * order and on the charger record, so the two can be compared; a tenant sets
 * what a remote YKC start may spend when the driver names no amount (a pile
 * refuses to start on 0.00).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    alter table orders.orders add column charger_bill jsonb;
    comment on column orders.orders.charger_bill is 'the charger''s own bill of the session (YKC 0x3B: amount, energy, tiers), kept beside the platform''s';
    alter table orders.orders add column pre_authorized_fen integer check (pre_authorized_fen > 0);
    comment on column orders.orders.pre_authorized_fen is 'what a remote YKC start was allowed to spend (0x34 balance), fen';
    alter table orders.charger_records add column tiers jsonb not null default '[]';

    create table orders.tenant_settings (
      tenant_id uuid primary key,
      ykc_pre_authorized_fen integer not null check (ykc_pre_authorized_fen between 1 and 1000000),
      updated_at timestamptz not null default now()
    );
    comment on table orders.tenant_settings is 'per-tenant session settings; a tenant without a row gets the defaults of the code (docs/orders.md)';
  `);
  for (const stmt of tenantRlsStatements('orders.tenant_settings')) await knex.raw(stmt);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop table if exists orders.tenant_settings;
    alter table orders.charger_records drop column if exists tiers;
    alter table orders.orders drop column if exists charger_bill, drop column if exists pre_authorized_fen;
  `);
}
