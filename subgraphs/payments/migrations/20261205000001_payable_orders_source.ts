import type { Knex } from 'knex';

/**
 * A payable order is learned from `order.completed` or, when a client pays before that event
 * has arrived, from asking orders (`orderForPayment`). The source says which; only the event
 * carries an event id. The later event changes nothing (the primary key keeps the first row).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    alter table payments.payable_orders
      add column source text not null default 'EVENT' check (source in ('EVENT', 'ORDERS')),
      alter column event_id drop not null,
      add constraint payable_orders_event_id_of_events check ((source = 'EVENT') = (event_id is not null));
  `);
}

// Refuses while orders learned by asking exist: they have no event id to give back, and payments may hang on them.
export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    do $$ begin
      if exists (select 1 from payments.payable_orders where source = 'ORDERS') then
        raise exception 'payable orders learned from orders (no event id) exist; cannot go back';
      end if;
    end $$;
    alter table payments.payable_orders
      drop constraint payable_orders_event_id_of_events,
      alter column event_id set not null,
      drop column source;
  `);
}
