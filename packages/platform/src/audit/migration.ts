import type { Knex } from 'knex';
import { tenantRlsStatements } from '../db/rls-policies';

const SCHEMA = /^[a-z_][a-z0-9_]*$/;

/**
 * The standard audit trail of a service's schema, for migrations: `<schema>.audit_entries`,
 * tenant-owned under row-level security (a service appends in the tenant transaction of the
 * change it records), and append-only twice over: a trigger refuses UPDATE, DELETE and
 * TRUNCATE whoever runs them, and no role but the owner keeps those privileges (the default
 * privileges of migrateSchemas grant them to the application role; they are revoked here).
 * Rows are read newest first by `id` (the order they were written). Idempotent.
 */
export async function createAuditEntries(knex: Knex, schema: string): Promise<void> {
  if (!SCHEMA.test(schema)) throw new Error(`createAuditEntries: not a schema name: ${schema}`);
  const t = `${schema}.audit_entries`;
  await knex.raw(`
    create table if not exists ${t} (
      id bigint generated always as identity primary key,
      tenant_id uuid not null,
      occurred_at timestamptz not null default now(),
      actor_type text not null check (actor_type in ('USER', 'SERVICE', 'CHARGER')),
      -- user id, service name or charger id
      actor_id text not null,
      -- who really acted when a platform admin acts in this tenant (assumeTenant)
      on_behalf_of text,
      action text not null check (action ~ '^[A-Z][A-Z0-9_]{1,63}$'),
      target_type text not null check (target_type ~ '^[a-z][a-z0-9-]{0,62}$'),
      target_id text not null,
      before jsonb,
      after jsonb,
      -- what is neither before nor after: a reason, an amount asked for
      details jsonb,
      request_id text,
      client_address inet
    );
    create index if not exists audit_entries_tenant on ${t} (tenant_id, id desc);
    create index if not exists audit_entries_action on ${t} (tenant_id, action, id desc);
    create index if not exists audit_entries_target on ${t} (tenant_id, target_type, target_id, id desc);
    create index if not exists audit_entries_actor on ${t} (tenant_id, actor_id, id desc);
    create index if not exists audit_entries_time on ${t} (tenant_id, occurred_at);

    create or replace function ${schema}.audit_entries_append_only() returns trigger
      language plpgsql
    as $$
    begin
      raise exception 'audit_entries is append-only: % refused', tg_op using errcode = 'insufficient_privilege';
    end $$;
    revoke execute on function ${schema}.audit_entries_append_only() from public;
    drop trigger if exists audit_entries_no_change on ${t};
    create trigger audit_entries_no_change before update or delete on ${t}
      for each row execute function ${schema}.audit_entries_append_only();
    drop trigger if exists audit_entries_no_truncate on ${t};
    create trigger audit_entries_no_truncate before truncate on ${t}
      for each statement execute function ${schema}.audit_entries_append_only();
  `);
  for (const stmt of tenantRlsStatements(t)) await knex.raw(stmt);
  const { rows } = await knex.raw<{ rows: { grantee: string }[] }>(
    `select distinct grantee from information_schema.role_table_grants
      where table_schema = ? and table_name = 'audit_entries' and grantee <> current_user`,
    [schema],
  );
  await knex.raw(`revoke update, delete, truncate on ${t} from public`);
  for (const { grantee } of rows) if (grantee !== 'PUBLIC') await knex.raw(`revoke update, delete, truncate on ${t} from ??`, [grantee]);
}
