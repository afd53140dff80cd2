import type { Knex } from 'knex';
import { applyTenantPolicies } from '@evcs/platform';

/**
 * Lists sort and page by when a session started (or was asked for). As a stored
 * generated column the comparison is a plain, leakproof column comparison, so
 * Postgres uses it as an index condition even under row-level security (an
 * expression such as coalesce(...) stayed a filter there). Policies are
 * re-applied in their single "= any(array)" form.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    alter table orders.orders add column sort_at timestamptz generated always as (coalesce(started_at, created_at)) stored;
    drop index if exists orders.orders_by_start, orders.orders_by_station, orders.orders_by_charger, orders.orders_by_user, orders.orders_by_state;
    create index orders_by_start on orders.orders (tenant_id, sort_at desc, id desc);
    create index orders_by_station on orders.orders (tenant_id, station_id, sort_at desc, id desc);
    create index orders_by_charger on orders.orders (tenant_id, charger_id, sort_at desc, id desc);
    create index orders_by_user on orders.orders (tenant_id, user_id, sort_at desc, id desc) where user_id is not null;
    create index orders_by_state on orders.orders (tenant_id, state, sort_at desc, id desc);
  `);
  await applyTenantPolicies(knex, 'orders');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('alter table orders.orders drop column sort_at');
}
