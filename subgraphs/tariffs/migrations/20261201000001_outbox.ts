import type { Knex } from 'knex';
import { createOutbox } from '@evcs/platform';

/** Plan and binding changes are published through an outbox, in the transaction that makes them. */
export const up = (knex: Knex): Promise<void> => createOutbox(knex, 'tariffs', { readersOf: 'tariffs.tariff_plans' });
export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop function if exists tariffs.outbox_pending(integer), tariffs.outbox_mark_published(uuid[]); drop table if exists tariffs.outbox');
}
