import type { Knex } from 'knex';

/** What the payments service reported about an order, whatever its state allowed. */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`alter table orders.orders add column refunded_amount numeric(14,2) not null default 0 check (refunded_amount >= 0)`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('alter table orders.orders drop column refunded_amount');
}
