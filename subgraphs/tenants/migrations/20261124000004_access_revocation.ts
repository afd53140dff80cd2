import type { Knex } from 'knex';
import { grantExecuteToAppRole, tenantRlsStatements } from '@evcs/platform';

/**
 * Access revocation: changes to what a user's access token says (roles, a
 * role's permissions, station assignments, the tenant's status) revoke the
 * user's outstanding tokens.
 *  - users.access_not_before: tokens of the user issued (iat) before it are
 *    revoked, and the next ones are stamped no earlier (whole seconds, like iat).
 *  - outbox: the access.revoked events, written in the transaction that made the
 *    change and published by a relay afterwards — a committed change always has
 *    its event, an aborted one never does.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    alter table tenants.users add column access_not_before timestamptz;
    comment on column tenants.users.access_not_before is
      'access tokens issued before this (iat, whole seconds) are revoked; new ones carry an iat no earlier';

    create table tenants.outbox (
      id uuid primary key,
      seq bigserial not null,
      tenant_id uuid not null,
      topic text not null,
      key text not null,
      payload jsonb not null,
      created_at timestamptz not null default now(),
      published_at timestamptz
    );
    create index outbox_unpublished on tenants.outbox (seq) where published_at is null;
  `);
  for (const stmt of tenantRlsStatements('tenants.outbox')) await knex.raw(stmt);

  // The relay publishes for every tenant: two narrow definer functions instead of a BYPASSRLS role.
  await knex.raw(`
    create function tenants.outbox_pending(p_limit integer)
      returns table (id uuid, topic text, key text, payload jsonb)
      language sql stable security definer set search_path = tenants, pg_temp
      as $$ select o.id, o.topic, o.key, o.payload from tenants.outbox o
              where o.published_at is null order by o.seq limit least(p_limit, 1000) $$;
    create function tenants.outbox_mark_published(p_ids uuid[])
      returns integer
      language sql volatile security definer set search_path = tenants, pg_temp
      as $$ with u as (update tenants.outbox set published_at = now() where id = any(p_ids) and published_at is null returning 1)
            select count(*)::int from u $$;
  `);
  await grantExecuteToAppRole(knex, ['tenants.outbox_pending(integer)', 'tenants.outbox_mark_published(uuid[])'], { readersOf: 'tenants.users' });
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop function if exists tenants.outbox_mark_published(uuid[]);
    drop function if exists tenants.outbox_pending(integer);
    drop table if exists tenants.outbox;
    alter table tenants.users drop column if exists access_not_before;
  `);
}
