import type { Knex } from 'knex';
import { createOutboxBacklog } from '@evcs/platform';

/** The outbox's backlog function (pending rows and the oldest one's age) the metrics read. */
export const up = (knex: Knex): Promise<void> => createOutboxBacklog(knex, 'orders', { readersOf: 'orders.orders' });
export const down = async (knex: Knex): Promise<void> => {
  await knex.raw('drop function if exists orders.outbox_backlog()');
};
