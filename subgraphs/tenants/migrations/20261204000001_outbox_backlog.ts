import type { Knex } from 'knex';
import { createOutboxBacklog } from '@evcs/platform';

/** The outbox's backlog function (pending rows and the oldest one's age) the metrics read. */
export const up = (knex: Knex): Promise<void> => createOutboxBacklog(knex, 'tenants', { readersOf: 'tenants.users' });
export const down = async (knex: Knex): Promise<void> => {
  await knex.raw('drop function if exists tenants.outbox_backlog()');
};
