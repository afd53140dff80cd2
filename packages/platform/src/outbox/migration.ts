import type { Knex } from 'knex';
import { tenantRlsStatements } from '../db/rls-policies';
import { grantExecuteToAppRole } from '../migration-helpers';

const SCHEMA = /^[a-z_][a-z0-9_]*$/;

/**
 * The standard outbox of a service's schema, for migrations: the table (tenant-owned, under
 * row-level security, so a service writes its rows in the tenant transaction of the change),
 * and the two SECURITY DEFINER functions the relay reads and marks it through — executable by
 * the application role only. Rows come out in `seq` order (the order they were written).
 * Idempotent: brings an older outbox of the schema (no headers, no seq) to this form.
 *
 * @param readersOf a table the application role reads (`schema.table`), see grantExecuteToAppRole
 */
export async function createOutbox(knex: Knex, schema: string, opts: { readersOf: string }): Promise<void> {
  if (!SCHEMA.test(schema)) throw new Error(`createOutbox: not a schema name: ${schema}`);
  await knex.raw(`
    create table if not exists ${schema}.outbox (
      id uuid primary key default gen_random_uuid(),
      seq bigserial not null,
      tenant_id uuid not null,
      topic text not null,
      key text not null,
      payload jsonb not null,
      headers jsonb not null default '{}'::jsonb,
      created_at timestamptz not null default now(),
      published_at timestamptz
    );
    alter table ${schema}.outbox add column if not exists seq bigserial not null;
    alter table ${schema}.outbox add column if not exists headers jsonb not null default '{}'::jsonb;
    alter table ${schema}.outbox alter column id set default gen_random_uuid();
    drop index if exists ${schema}.outbox_unpublished;
    create index outbox_unpublished on ${schema}.outbox (seq) where published_at is null;
    drop function if exists ${schema}.outbox_pending(integer);
    drop function if exists ${schema}.outbox_mark_published(uuid[]);
    create function ${schema}.outbox_pending(p_limit integer)
      returns table (id uuid, topic text, key text, payload jsonb, headers jsonb)
      language sql stable security definer set search_path = ${schema}, pg_temp
      as $$ select o.id, o.topic, o.key, o.payload, o.headers from ${schema}.outbox o
              where o.published_at is null order by o.seq limit least(p_limit, 1000) $$;
    create function ${schema}.outbox_mark_published(p_ids uuid[])
      returns integer
      language sql volatile security definer set search_path = ${schema}, pg_temp
      as $$ with u as (update ${schema}.outbox set published_at = now() where id = any(p_ids) and published_at is null returning 1)
            select count(*)::int from u $$;
  `);
  for (const stmt of tenantRlsStatements(`${schema}.outbox`)) await knex.raw(stmt);
  await grantExecuteToAppRole(knex, [`${schema}.outbox_pending(integer)`, `${schema}.outbox_mark_published(uuid[])`], opts);
  await createOutboxBacklog(knex, schema, opts);
}

/**
 * The outbox's backlog across tenants for the metrics (evcs_outbox_pending_messages and the
 * oldest row's age): a SECURITY DEFINER function like the relay's, answering two numbers and
 * no row. Part of createOutbox; an outbox made before it gets it from a migration of its own.
 */
export async function createOutboxBacklog(knex: Knex, schema: string, opts: { readersOf: string }): Promise<void> {
  if (!SCHEMA.test(schema)) throw new Error(`createOutboxBacklog: not a schema name: ${schema}`);
  await knex.raw(`
    create or replace function ${schema}.outbox_backlog()
      returns table (pending bigint, oldest_at timestamptz)
      language sql stable security definer set search_path = ${schema}, pg_temp
      as $$ select count(*), min(o.created_at) from ${schema}.outbox o where o.published_at is null $$;
  `);
  await grantExecuteToAppRole(knex, [`${schema}.outbox_backlog()`], opts);
}
