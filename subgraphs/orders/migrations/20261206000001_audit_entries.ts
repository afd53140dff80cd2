import type { Knex } from 'knex';
import { createAuditEntries } from '@evcs/platform';

/** The platform audit trail: orders force-closed by operators. */
export const up = (knex: Knex): Promise<void> => createAuditEntries(knex, 'orders');
export const down = async (knex: Knex): Promise<void> => {
  await knex.raw('drop table if exists orders.audit_entries; drop function if exists orders.audit_entries_append_only()');
};
