import type { Knex } from 'knex';
import { tenantRlsStatements } from '@evcs/platform';

/**
 * Orders' own projection of the chargers it starts sessions on, fed by the assets service's
 * asset events (evcs.asset-events.v1): a start reads the charger here instead of asking assets
 * over HTTP. `revision` is the assets revision of the snapshot kept (0: written from a service
 * call before any event arrived, overwritten by the first event); a snapshot replaces only an
 * older one. Tenant-owned, under row-level security like every table of the schema.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table orders.charger_projection (
      tenant_id uuid not null,
      charger_id uuid not null,
      code text not null,
      station_id uuid not null,
      timezone text,
      protocol text not null check (protocol in ('OCPP16','YKC')),
      connector_nos integer[] not null,
      retired boolean not null default false,
      revision bigint not null,
      updated_at timestamptz not null default now(),
      primary key (tenant_id, charger_id)
    );
    create index charger_projection_code on orders.charger_projection (tenant_id, code) where not retired;
  `);
  for (const stmt of tenantRlsStatements('orders.charger_projection')) await knex.raw(stmt);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table if exists orders.charger_projection');
}
