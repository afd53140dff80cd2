import type { Knex } from 'knex';
import { createDeadLetters } from '@evcs/platform';

/** The platform's dead letters of this service's consumers: kept, listed and replayed (docs/reliability.md, "Poison events"). */
export const up = (knex: Knex): Promise<void> => createDeadLetters(knex, 'assets');
export const down = async (knex: Knex): Promise<void> => {
  await knex.raw('drop table if exists assets.dead_letters');
};
