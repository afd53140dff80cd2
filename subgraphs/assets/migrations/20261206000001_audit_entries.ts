import type { Knex } from 'knex';
import { createAuditEntries } from '@evcs/platform';

/**
 * The platform audit trail replaces assets.audit_log: its entries are copied over (ids renumbered,
 * order kept), and new ones are written to audit_entries only. audit_log stays, read by nobody,
 * append-only as it was. Copied actors are users when they are UUIDs, services otherwise.
 * RLS is forced on the new table, so the copy runs with it lifted for the owner, then restored.
 */
export async function up(knex: Knex): Promise<void> {
  await createAuditEntries(knex, 'assets');
  await knex.raw(`
    alter table assets.audit_entries no force row level security;
    insert into assets.audit_entries (tenant_id, occurred_at, actor_type, actor_id, action, target_type, target_id, before, after, request_id)
      select l.tenant_id, l.at,
             case when l.actor ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then 'USER' else 'SERVICE' end,
             l.actor, l.action,
             case when position(':' in coalesce(l.target, '')) > 0 then split_part(l.target, ':', 1) else coalesce(l.target, 'tenant') end,
             case when position(':' in coalesce(l.target, '')) > 0 then substr(l.target, position(':' in l.target) + 1) else l.tenant_id::text end,
             l.before, l.after, l.request_id
        from assets.audit_log l order by l.id;
    alter table assets.audit_entries force row level security;
  `);
}

export const down = async (knex: Knex): Promise<void> => {
  await knex.raw('drop table if exists assets.audit_entries; drop function if exists assets.audit_entries_append_only()');
};
