import type { Knex } from 'knex';

/**
 * The charger message behind a state change (issue 16: an order's timeline shows what the
 * charger said): the id of the charger event that caused the transition, its type, the
 * protocol it came in and the time it happened, as the bridge published them. Null for a
 * transition nothing from a charger caused (the API, a job, an operator, a payment) and for
 * transitions stored before this migration. order_transitions already carries tenant_id
 * under the tenant RLS policy, so the new columns are isolated with it.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    alter table orders.order_transitions
      add column charger_event_id uuid,
      add column charger_event_type text,
      add column charger_protocol text,
      add column charger_event_at timestamptz,
      add constraint order_transitions_charger_message_whole check (
        (charger_event_id is null) = (charger_event_type is null)
        and (charger_event_id is null) = (charger_protocol is null)
        and (charger_event_id is null) = (charger_event_at is null)
      );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    alter table orders.order_transitions
      drop constraint if exists order_transitions_charger_message_whole,
      drop column if exists charger_event_id,
      drop column if exists charger_event_type,
      drop column if exists charger_protocol,
      drop column if exists charger_event_at
  `);
}
