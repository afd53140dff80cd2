import { tenantRlsStatements, type Knex } from '@evcs/platform';

/**
 * What each OCPP charger's local authorization list holds, as far as the
 * bridge knows: the version it last confirmed (SendLocalList Accepted, or
 * GetLocalListVersion), or that it has no list (Local Auth List Management not
 * supported). A charger behind its tenant's version is brought up to date.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table bridge.local_auth_lists (
      charger_code text primary key,
      tenant_id uuid not null,
      supported boolean not null,
      list_version integer,
      synced_at timestamptz not null default now()
    );
  `);
  for (const sql of tenantRlsStatements('bridge.local_auth_lists')) await knex.raw(sql);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table if exists bridge.local_auth_lists');
}
