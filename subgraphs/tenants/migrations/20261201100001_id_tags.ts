import type { Knex } from 'knex';
import { tenantRlsStatements } from '@evcs/platform';

/**
 * The tenant's id-token authority: RFID cards and app tokens that may start
 * sessions on its chargers.
 *  - id_tags: one row per tag. OCPP's idTag is a CiString20 (case-insensitive),
 *    so a tenant's values are unique regardless of case; the value is kept as
 *    written (chargers get it back as it was registered).
 *  - id_tag_settings: per tenant, the free-vending policy and the local-list
 *    version (raised by one with every tag change, in the changing transaction;
 *    chargers' OCPP local lists carry it).
 * Both tenant-owned, with the platform's standard row-level security.
 *
 * Seed roles: administrators may read and write tags, viewers read them; the
 * lists are spelled out (this migration means the same thing forever).
 */
const GRANTS: { code: string; add: string[] }[] = [
  { code: 'SUPER_ADMIN', add: ['idtag:read', 'idtag:write'] },
  { code: 'PLATFORM_ADMIN', add: ['idtag:read', 'idtag:write'] },
  { code: 'OPERATOR_ADMIN', add: ['idtag:read', 'idtag:write'] },
  { code: 'VIEWER', add: ['idtag:read'] },
];

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table tenants.id_tags (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenants.tenants(id),
      -- printable ASCII without spaces, as chargers read it from a card or an app
      value text not null check (value ~ '^[!-~]{1,20}$'),
      status text not null default 'ACCEPTED' check (status in ('ACCEPTED','BLOCKED','EXPIRED')),
      expires_at timestamptz,
      parent_id_tag text check (parent_id_tag ~ '^[!-~]{1,20}$'),
      -- the user the tag belongs to (a tenant's own user only)
      user_id uuid,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      foreign key (user_id, tenant_id) references tenants.users(id, tenant_id)
    );
    create unique index id_tags_tenant_value on tenants.id_tags (tenant_id, upper(value));
    create index id_tags_tenant_user on tenants.id_tags (tenant_id, user_id) where user_id is not null;

    create table tenants.id_tag_settings (
      tenant_id uuid primary key references tenants.tenants(id),
      -- free vending: unknown tags are accepted (every station, or only those listed)
      free_vending boolean not null default false,
      free_vending_station_ids uuid[] not null default '{}',
      list_version integer not null default 0 check (list_version >= 0),
      updated_at timestamptz not null default now()
    );
  `);
  for (const t of ['id_tags', 'id_tag_settings']) {
    for (const stmt of tenantRlsStatements(`tenants.${t}`)) await knex.raw(stmt);
  }
  for (const g of GRANTS) {
    await knex.raw(
      `update tenants.roles set permissions = (select array_agg(distinct p order by p) from unnest(permissions || ?::text[]) p), updated_at = now()
        where tenant_id is null and code = ?`,
      [g.add, g.code],
    );
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    update tenants.roles set permissions = array_remove(array_remove(permissions, 'idtag:read'), 'idtag:write') where tenant_id is null;
    drop table if exists tenants.id_tag_settings;
    drop table if exists tenants.id_tags;
  `);
}
