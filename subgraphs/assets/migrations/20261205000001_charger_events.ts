import type { Knex } from 'knex';
import { createOutbox } from '@evcs/platform';

/**
 * Assets publishes charger registrations (evcs.asset-events.v1) through the platform outbox, in
 * the transaction of the change. Each event carries a revision from this sequence, taken under
 * the charger's row lock, so a consumer can tell a newer snapshot of a charger from an older one.
 */
export async function up(knex: Knex): Promise<void> {
  await createOutbox(knex, 'assets', { readersOf: 'assets.chargers' });
  await knex.raw('create sequence if not exists assets.charger_revisions');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop sequence if exists assets.charger_revisions');
  await knex.raw('drop table if exists assets.outbox');
}
