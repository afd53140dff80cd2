import type { Knex } from 'knex';
import { createOutbox } from '@evcs/platform';

/** The platform's standard outbox (headers kept with each message, the one relay's functions). */
export const up = (knex: Knex): Promise<void> => createOutbox(knex, 'tenants', { readersOf: 'tenants.users' });
export const down = async (): Promise<void> => undefined;
