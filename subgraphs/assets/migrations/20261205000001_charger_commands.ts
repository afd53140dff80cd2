import type { Knex } from 'knex';
import { createOutbox, grantExecuteToAppRole, tenantRlsStatements } from '@evcs/platform';

/**
 * Commands to chargers (issue 16), owned by assets because it owns the chargers.
 *
 *  - charger_commands: one row per command an operator asked for, with its lifecycle
 *    (PENDING → SENT → ACCEPTED / REJECTED / FAILED, or TIMED_OUT when no answer came by
 *    `deadline_at`), who asked (`requested_by`, `request_id`) and the charger's answer.
 *    `(tenant_id, idempotency_key)` is unique: a retried mutation finds its command instead of
 *    sending another. Written with its outbox message (the command topic) in one transaction.
 *  - charger_configurations: the last GetConfiguration answer per charger (the snapshot).
 *  - the standard outbox: commands out, and each lifecycle change as a command update.
 *  - overdue_charger_commands: the sweeper's one cross-tenant read (ids only), SECURITY DEFINER;
 *    it marks them TIMED_OUT in each tenant's own transaction.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table assets.charger_commands (
      id uuid primary key,
      tenant_id uuid not null,
      charger_id uuid not null references assets.chargers(id),
      charger_code text not null,
      type text not null check (type ~ '^[a-z_.]{1,64}$'),
      params jsonb not null default '{}'::jsonb,
      status text not null default 'PENDING' check (status in ('PENDING', 'SENT', 'ACCEPTED', 'REJECTED', 'FAILED', 'TIMED_OUT')),
      reason text check (length(reason) <= 200),
      response jsonb,
      idempotency_key text not null check (length(idempotency_key) between 1 and 100),
      requested_by text not null,
      request_id text,
      created_at timestamptz not null default now(),
      sent_at timestamptz,
      completed_at timestamptz,
      deadline_at timestamptz not null,
      unique (tenant_id, idempotency_key)
    );
    create index charger_commands_by_charger on assets.charger_commands (tenant_id, charger_id, created_at desc, id desc);
    create index charger_commands_open on assets.charger_commands (deadline_at) where status in ('PENDING', 'SENT');

    create table assets.charger_configurations (
      charger_id uuid primary key references assets.chargers(id),
      tenant_id uuid not null,
      keys jsonb not null,
      unknown_keys jsonb not null default '[]'::jsonb,
      command_id uuid not null,
      taken_at timestamptz not null
    );

    create function assets.overdue_charger_commands(p_now timestamptz, p_limit integer)
      returns table (tenant_id uuid, id uuid)
      language sql stable security definer set search_path = assets, pg_temp
      as $$ select c.tenant_id, c.id from assets.charger_commands c
             where c.status in ('PENDING', 'SENT') and c.deadline_at < p_now
             order by c.deadline_at limit least(p_limit, 1000) $$;
  `);
  for (const t of ['charger_commands', 'charger_configurations']) {
    for (const stmt of tenantRlsStatements(`assets.${t}`)) await knex.raw(stmt);
  }
  await grantExecuteToAppRole(knex, ['assets.overdue_charger_commands(timestamptz, integer)'], { readersOf: 'assets.chargers' });
  await createOutbox(knex, 'assets', { readersOf: 'assets.chargers' });
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop function if exists assets.outbox_pending(integer);
    drop function if exists assets.outbox_mark_published(uuid[]);
    drop function if exists assets.outbox_backlog();
    drop table if exists assets.outbox;
    drop function if exists assets.overdue_charger_commands(timestamptz, integer);
    drop table if exists assets.charger_configurations;
    drop table if exists assets.charger_commands;
  `);
}
