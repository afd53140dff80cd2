import type { Knex } from 'knex';
import { createOutbox } from '@evcs/platform';

/**
 * The platform's standard outbox: headers kept with each message, rows in `seq` order, and the
 * one relay's functions. Topics in rows are base names from now on (the relay applies the
 * deployment's namespace). Rows left unpublished by the old relay in a deployment that uses a
 * KAFKA_NAMESPACE would go to a doubly prefixed topic; namespaces are used by tests only.
 */
export const up = (knex: Knex): Promise<void> => createOutbox(knex, 'orders', { readersOf: 'orders.orders' });
export const down = async (): Promise<void> => undefined;
