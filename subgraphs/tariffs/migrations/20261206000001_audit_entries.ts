import type { Knex } from 'knex';
import { createAuditEntries } from '@evcs/platform';

/** The platform audit trail: plan creations, revisions, defaults, retirements, bindings. */
export const up = (knex: Knex): Promise<void> => createAuditEntries(knex, 'tariffs');
export const down = async (knex: Knex): Promise<void> => {
  await knex.raw('drop table if exists tariffs.audit_entries; drop function if exists tariffs.audit_entries_append_only()');
};
