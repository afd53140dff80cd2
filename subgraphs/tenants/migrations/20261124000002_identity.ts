import type { Knex } from 'knex';
import { tenantRlsStatements } from '@evcs/platform';

/**
 * The identity service: tenant hierarchy and quotas, users, roles, refresh
 * tokens and the audit log.
 *
 * Isolation rules, all enforced by FORCE'd row-level security for the
 * application role (which has no BYPASSRLS):
 *  - tenants: a tenant sees its own row and its descendants', never its parent's
 *    or a sibling's. `ancestor_ids` is the exact list of ancestor ids, set by a
 *    trigger from the parent row (never by the caller) and immutable; the policy
 *    matches array elements, never substrings.
 *  - every other table is tenant-owned (tenant_id) with the platform's standard
 *    policy; system roles (tenant_id null) are readable once a tenant is set.
 *  - audit_events is append-only: no UPDATE/DELETE/TRUNCATE privilege for
 *    anyone but the owner, and a trigger refuses them for the owner as well.
 *
 * Seed-role permission lists are spelled out here rather than imported, so
 * this migration means the same thing forever; a later migration changes them.
 */

const CUR = `nullif(current_setting('app.tenant_id', true), '')::uuid`;
const VISIBLE = `string_to_array(nullif(current_setting('app.visible_tenant_ids', true), ''), ',')::uuid[]`;

const ALL_PERMISSIONS = [
  'station:read',
  'station:write',
  'charger:command',
  'tariff:read',
  'tariff:write',
  'order:read',
  'order:write',
  'payment:read',
  'payment:refund',
  'user:read',
  'user:write',
  'role:write',
  'tenant:read',
  'tenant:admin',
  'audit:read',
  'platform:cross-tenant',
];

const SYSTEM_ROLES: { code: string; name: string; description: string; dataScope: string; permissions: string[] }[] = [
  {
    code: 'SUPER_ADMIN',
    name: 'Super administrator',
    description: 'Every permission, all tenants the token lists.',
    dataScope: 'ALL',
    permissions: ALL_PERMISSIONS,
  },
  {
    code: 'PLATFORM_ADMIN',
    name: 'Platform administrator',
    // Refunds move an operator's money: that stays an operator decision.
    description: 'Runs the platform: tenants, users, roles, audit, cross-tenant operations. No refunds.',
    dataScope: 'ALL',
    permissions: ALL_PERMISSIONS.filter((p) => p !== 'payment:refund'),
  },
  {
    code: 'OPERATOR_ADMIN',
    name: 'Operator administrator',
    description: "Manages an operator's stations, tariffs, orders, payments, users and roles, and its partners' data.",
    dataScope: 'TENANT_AND_CHILDREN',
    permissions: [
      'station:read',
      'station:write',
      'charger:command',
      'tariff:read',
      'tariff:write',
      'order:read',
      'order:write',
      'payment:read',
      'payment:refund',
      'user:read',
      'user:write',
      'role:write',
      'tenant:read',
      'audit:read',
    ],
  },
  {
    code: 'STATION_MANAGER',
    name: 'Station manager',
    description: 'Operates the stations assigned to them.',
    dataScope: 'ASSIGNED_STATIONS',
    permissions: ['station:read', 'charger:command', 'order:read', 'tariff:read'],
  },
  {
    code: 'VIEWER',
    name: 'Viewer',
    description: "Reads its tenant's data.",
    dataScope: 'TENANT',
    permissions: ['station:read', 'tariff:read', 'order:read', 'payment:read', 'user:read', 'tenant:read'],
  },
];

/** Revoke `privileges` on `table` from every role the owner granted anything on it (default privileges). */
function revokeFromGrantees(table: string, privileges: string): string {
  return `
    do $$
    declare g text;
    begin
      for g in select distinct grantee from information_schema.role_table_grants
                where table_schema = 'tenants' and table_name = '${table}' and grantee <> current_user loop
        if g = 'PUBLIC' then
          execute format('revoke ${privileges} on tenants.${table} from public');
        else
          execute format('revoke ${privileges} on tenants.${table} from %I', g);
        end if;
      end loop;
    end $$;`;
}

export async function up(knex: Knex): Promise<void> {
  // ---- tenants: hierarchy and quotas -------------------------------------------------
  await knex.raw(`
    alter table tenants.tenants
      add column ancestor_ids uuid[] not null default '{}',
      add column max_users integer check (max_users >= 0),
      add column max_stations integer check (max_stations >= 0),
      add column max_chargers integer check (max_chargers >= 0),
      add column updated_at timestamptz not null default now(),
      add constraint tenants_not_own_parent check (parent_id is null or parent_id <> id);
    comment on column tenants.tenants.ancestor_ids is 'ids of all ancestors, root first; maintained by trigger, immutable';
    comment on column tenants.tenants.max_users is 'null = unlimited';

    with recursive chain as (
      select id, array[]::uuid[] as anc from tenants.tenants where parent_id is null
      union all
      select t.id, c.anc || t.parent_id from tenants.tenants t join chain c on t.parent_id = c.id
    )
    update tenants.tenants t set ancestor_ids = c.anc from chain c where c.id = t.id;

    create index tenants_parent_idx on tenants.tenants (parent_id);
    create index tenants_ancestors_idx on tenants.tenants using gin (ancestor_ids);

    -- Ancestors come from the parent row as the owner sees it, never from the caller.
    create function tenants.tenants_hierarchy_guard() returns trigger
      language plpgsql security definer set search_path = tenants, pg_temp
    as $$
    begin
      if tg_op = 'INSERT' then
        if new.parent_id is null then
          new.ancestor_ids := '{}';
        else
          select p.ancestor_ids || p.id into new.ancestor_ids from tenants.tenants p where p.id = new.parent_id;
          if not found then
            raise exception 'parent tenant % does not exist', new.parent_id using errcode = 'foreign_key_violation';
          end if;
        end if;
      elsif new.id is distinct from old.id
         or new.parent_id is distinct from old.parent_id
         or new.ancestor_ids is distinct from old.ancestor_ids then
        raise exception 'a tenant''s place in the hierarchy cannot change' using errcode = 'check_violation';
      end if;
      return new;
    end $$;
    revoke execute on function tenants.tenants_hierarchy_guard() from public;
    create trigger tenants_hierarchy_guard before insert or update on tenants.tenants
      for each row execute function tenants.tenants_hierarchy_guard();

    drop policy if exists tenants_self on tenants.tenants;
    -- Own row and descendants (array element match). Downwards only.
    create policy tenants_subtree on tenants.tenants
      using (id = ${CUR} or ancestor_ids @> array[${CUR}])
      with check (id = ${CUR} or ancestor_ids @> array[${CUR}]);
  `);
  // The application may rename, suspend and re-quota a tenant, never move it.
  await knex.raw(revokeFromGrantees('tenants', 'update'));
  await knex.raw(`
    do $$
    declare g text;
    begin
      for g in select distinct grantee from information_schema.role_table_grants
                where table_schema = 'tenants' and table_name = 'tenants' and privilege_type = 'SELECT'
                  and grantee <> current_user and grantee <> 'PUBLIC' loop
        execute format('grant update (name, status, max_users, max_stations, max_chargers, updated_at) on tenants.tenants to %I', g);
      end loop;
    end $$;`);

  // ---- users, roles, assignments -----------------------------------------------------
  await knex.raw(`
    create table tenants.users (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenants.tenants(id),
      username text not null check (username = lower(username) and length(username) between 1 and 64),
      display_name text,
      -- PHC string, e.g. $scrypt$ln=15,r=8,p=1$<salt>$<hash>
      password_hash text not null check (password_hash like '$scrypt$%'),
      status text not null default 'ACTIVE' check (status in ('ACTIVE','DISABLED')),
      failed_login_count integer not null default 0 check (failed_login_count >= 0),
      locked_until timestamptz,
      last_login_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (tenant_id, username),
      unique (id, tenant_id)
    );

    create table tenants.roles (
      id uuid primary key default gen_random_uuid(),
      -- null: a system role, visible to every tenant, changed only by migrations
      tenant_id uuid references tenants.tenants(id),
      code text not null check (code ~ '^[A-Z][A-Z0-9_]{1,63}$'),
      name text not null,
      description text,
      data_scope text not null check (data_scope in ('ALL','TENANT_AND_CHILDREN','TENANT','ASSIGNED_STATIONS','SELF')),
      permissions text[] not null default '{}',
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create unique index roles_system_code on tenants.roles (code) where tenant_id is null;
    create unique index roles_tenant_code on tenants.roles (tenant_id, code) where tenant_id is not null;

    create table tenants.user_roles (
      tenant_id uuid not null,
      user_id uuid not null,
      role_id uuid not null references tenants.roles(id),
      assigned_at timestamptz not null default now(),
      primary key (user_id, role_id),
      foreign key (user_id, tenant_id) references tenants.users(id, tenant_id) on delete cascade
    );
    create index user_roles_tenant on tenants.user_roles (tenant_id, user_id);
    create index user_roles_role on tenants.user_roles (role_id);

    -- A user may hold system roles and roles of its own tenant, nothing else.
    create function tenants.user_roles_role_guard() returns trigger
      language plpgsql security definer set search_path = tenants, pg_temp
    as $$
    begin
      if not exists (select 1 from tenants.roles r where r.id = new.role_id and (r.tenant_id is null or r.tenant_id = new.tenant_id)) then
        raise exception 'role % is not available to tenant %', new.role_id, new.tenant_id using errcode = 'foreign_key_violation';
      end if;
      return new;
    end $$;
    revoke execute on function tenants.user_roles_role_guard() from public;
    create trigger user_roles_role_guard before insert or update on tenants.user_roles
      for each row execute function tenants.user_roles_role_guard();

    -- Stations live in the assets subgraph; here only their ids.
    create table tenants.user_stations (
      tenant_id uuid not null,
      user_id uuid not null,
      station_id uuid not null,
      assigned_at timestamptz not null default now(),
      primary key (user_id, station_id),
      foreign key (user_id, tenant_id) references tenants.users(id, tenant_id) on delete cascade
    );
    create index user_stations_tenant on tenants.user_stations (tenant_id, user_id);
  `);

  // ---- refresh tokens ------------------------------------------------------------------
  await knex.raw(`
    create table tenants.refresh_tokens (
      id uuid primary key,
      tenant_id uuid not null,
      user_id uuid not null,
      -- every token descended from one login shares the family; reuse revokes the family
      family_id uuid not null,
      parent_id uuid references tenants.refresh_tokens(id),
      -- SHA-256 of the token; the token itself is never stored
      token_hash bytea not null check (octet_length(token_hash) = 32),
      issued_at timestamptz not null,
      expires_at timestamptz not null,
      session_expires_at timestamptz not null,
      used_at timestamptz,
      revoked_at timestamptz,
      revoked_reason text,
      foreign key (user_id, tenant_id) references tenants.users(id, tenant_id) on delete cascade
    );
    create index refresh_tokens_family on tenants.refresh_tokens (tenant_id, family_id);
    create index refresh_tokens_user on tenants.refresh_tokens (tenant_id, user_id);
  `);

  // ---- audit log -------------------------------------------------------------------------
  await knex.raw(`
    create table tenants.audit_events (
      id bigint generated always as identity primary key,
      tenant_id uuid not null references tenants.tenants(id),
      actor_user_id uuid,
      actor_tenant_id uuid,
      type text not null check (type ~ '^[A-Z][A-Z_]{1,63}$'),
      -- never secrets: no passwords, no tokens, no hashes
      details jsonb not null default '{}'::jsonb check (jsonb_typeof(details) = 'object'),
      ip inet,
      request_id text,
      occurred_at timestamptz not null default now()
    );
    create index audit_events_tenant on tenants.audit_events (tenant_id, id desc);
    create index audit_events_tenant_type on tenants.audit_events (tenant_id, type, id desc);

    create function tenants.audit_events_append_only() returns trigger
      language plpgsql
    as $$
    begin
      raise exception 'audit_events is append-only: % refused', tg_op using errcode = 'insufficient_privilege';
    end $$;
    revoke execute on function tenants.audit_events_append_only() from public;
    create trigger audit_events_no_change before update or delete on tenants.audit_events
      for each row execute function tenants.audit_events_append_only();
    create trigger audit_events_no_truncate before truncate on tenants.audit_events
      for each statement execute function tenants.audit_events_append_only();
  `);
  await knex.raw(revokeFromGrantees('audit_events', 'update, delete, truncate'));

  // ---- row-level security ------------------------------------------------------------------
  for (const t of ['users', 'user_roles', 'user_stations', 'refresh_tokens', 'audit_events']) {
    for (const stmt of tenantRlsStatements(`tenants.${t}`)) await knex.raw(stmt);
  }
  await knex.raw(`
    alter table tenants.roles enable row level security;
    alter table tenants.roles force row level security;
    create policy roles_read on tenants.roles for select
      using ((tenant_id is null and ${CUR} is not null)
             or tenant_id = ${CUR}
             or tenant_id = any(${VISIBLE}));
    -- system roles (tenant_id null) are never writable by the application
    create policy roles_insert on tenants.roles for insert with check (tenant_id = ${CUR});
    create policy roles_update on tenants.roles for update using (tenant_id = ${CUR}) with check (tenant_id = ${CUR});
    create policy roles_delete on tenants.roles for delete using (tenant_id = ${CUR});
  `);

  // ---- the one cross-tenant read: resolving a login ------------------------------------------
  // Before anyone is authenticated, (tenant code, username) must find the tenant
  // and user ids. Narrow and read-only: ids and tenant status, never the password
  // hash (that is read afterwards, under RLS, in the tenant's own transaction).
  await knex.raw(`
    create function tenants.resolve_login(p_tenant_code text, p_username text)
      returns table (tenant_id uuid, tenant_status text, user_id uuid)
      language sql stable security definer set search_path = tenants, pg_temp
      as $$ select t.id, t.status, u.id
              from tenants.tenants t
              left join tenants.users u on u.tenant_id = t.id and u.username = p_username
             where t.code = p_tenant_code $$;
    revoke execute on function tenants.resolve_login(text, text) from public;
  `);
  // default privileges granted execute to the application role; state it for roles created otherwise
  await knex.raw(`
    do $$
    declare g text;
    begin
      for g in select distinct grantee from information_schema.role_table_grants
                where table_schema = 'tenants' and table_name = 'users' and privilege_type = 'SELECT'
                  and grantee <> current_user and grantee <> 'PUBLIC' loop
        execute format('grant execute on function tenants.resolve_login(text, text) to %I', g);
      end loop;
    end $$;`);

  // ---- system roles ---------------------------------------------------------------------------------
  for (const r of SYSTEM_ROLES) {
    await knex.raw(
      `insert into tenants.roles (tenant_id, code, name, description, data_scope, permissions)
       values (null, ?, ?, ?, ?, ?::text[]) on conflict (code) where tenant_id is null do nothing`,
      [r.code, r.name, r.description, r.dataScope, r.permissions],
    );
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop function if exists tenants.resolve_login(text, text);
    drop table if exists tenants.audit_events;
    drop function if exists tenants.audit_events_append_only();
    drop table if exists tenants.refresh_tokens;
    drop table if exists tenants.user_stations;
    drop table if exists tenants.user_roles;
    drop function if exists tenants.user_roles_role_guard();
    drop table if exists tenants.roles;
    drop table if exists tenants.users;
    drop trigger if exists tenants_hierarchy_guard on tenants.tenants;
    drop function if exists tenants.tenants_hierarchy_guard();
    drop policy if exists tenants_subtree on tenants.tenants;
    create policy tenants_self on tenants.tenants
      using (id = ${CUR}) with check (id = ${CUR});
    alter table tenants.tenants
      drop column ancestor_ids, drop column max_users, drop column max_stations,
      drop column max_chargers, drop column updated_at, drop constraint tenants_not_own_parent;
  `);
}
