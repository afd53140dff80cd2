import type { Knex } from 'knex';
import { createAuditEntries } from '@evcs/platform';

/** The platform audit trail: refunds requested, succeeded, failed. */
export const up = (knex: Knex): Promise<void> => createAuditEntries(knex, 'payments');
export const down = async (knex: Knex): Promise<void> => {
  await knex.raw('drop table if exists payments.audit_entries; drop function if exists payments.audit_entries_append_only()');
};
