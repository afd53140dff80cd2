import type { Knex } from 'knex';
import { grantExecuteToAppRole, tenantRlsStatements } from '@evcs/platform';

/**
 * Charger security: who may connect as a charger.
 *
 *  - charger_security: one row per charger. OCPP: the security profile (0 no
 *    password, 1 Basic over ws, 2 Basic over TLS; recorded and enforced by the
 *    bridge) and the scrypt hash of its Basic-auth password (never the
 *    password). YKC: the identity its login (0x01) carries — ICCID, pile type,
 *    guns, network, carrier, versions — registered by an operator or learned at
 *    the first commissioning login, then enforced; a 3DES key reference (the key
 *    itself lives in the bridge's keyring). Both: source networks it may connect from.
 *    OCPP chargers registered before this migration get profile 1 and no
 *    password: they are refused until a credential is set (or their tenant
 *    allows profile 0 for commissioning).
 *  - charger_security_policies: per tenant; a tenant without a row has the
 *    defaults (no profile 0, no learning, any network).
 *  - audit_log: append-only record of security changes and refused logins,
 *    written in the transaction of the change. Never secrets.
 *  - resolve_charger_registration gains what the bridge needs to decide.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table assets.charger_security (
      charger_id uuid primary key references assets.chargers(id),
      tenant_id uuid not null,
      security_profile smallint check (security_profile in (0, 1, 2)),
      password_hash text check (password_hash ~ '^scrypt\\$'),
      password_set_at timestamptz,
      ykc_identity jsonb check (ykc_identity is null or jsonb_typeof(ykc_identity) = 'object'),
      ykc_identity_source text check (ykc_identity_source in ('REGISTERED', 'LEARNED')),
      ykc_identity_at timestamptz,
      allowed_source_cidrs cidr[] not null default '{}',
      des_key_ref text check (des_key_ref ~ '^[A-Za-z0-9_.:-]{1,64}$'),
      updated_at timestamptz not null default now(),
      check ((ykc_identity is null) = (ykc_identity_source is null))
    );
    create index charger_security_tenant on assets.charger_security (tenant_id);
    insert into assets.charger_security (charger_id, tenant_id, security_profile)
      select id, tenant_id, 1 from assets.chargers where protocol = 'OCPP16';

    create table assets.charger_security_policies (
      tenant_id uuid primary key,
      allow_profile0_commissioning boolean not null default false,
      learn_ykc_identity_on_first_login boolean not null default false,
      allowed_source_cidrs cidr[] not null default '{}',
      updated_at timestamptz not null default now()
    );

    create table assets.audit_log (
      id bigint generated always as identity primary key,
      tenant_id uuid not null,
      -- user id, or service name for service identities
      actor text not null,
      action text not null check (action ~ '^[A-Z][A-Z0-9_]{1,63}$'),
      -- what the action is about, e.g. charger:<uuid>, tenant-policy
      target text,
      before jsonb,
      after jsonb,
      request_id text,
      at timestamptz not null default now()
    );
    create index audit_log_tenant on assets.audit_log (tenant_id, id desc);

    create function assets.audit_log_append_only() returns trigger
      language plpgsql
    as $$
    begin
      raise exception 'audit_log is append-only: % refused', tg_op using errcode = 'insufficient_privilege';
    end $$;
    revoke execute on function assets.audit_log_append_only() from public;
    create trigger audit_log_no_change before update or delete on assets.audit_log
      for each row execute function assets.audit_log_append_only();
    create trigger audit_log_no_truncate before truncate on assets.audit_log
      for each statement execute function assets.audit_log_append_only();
  `);
  for (const t of ['charger_security', 'charger_security_policies', 'audit_log']) {
    for (const stmt of tenantRlsStatements(`assets.${t}`)) await knex.raw(stmt);
  }
  await knex.raw(`
    do $$
    declare g text;
    begin
      for g in select distinct grantee from information_schema.role_table_grants
                where table_schema = 'assets' and table_name = 'audit_log' and grantee <> current_user loop
        if g = 'PUBLIC' then
          execute 'revoke update, delete, truncate on assets.audit_log from public';
        else
          execute format('revoke update, delete, truncate on assets.audit_log from %I', g);
        end if;
      end loop;
    end $$;

    drop function assets.resolve_charger_registration(text);
    -- The one deliberate cross-tenant read (see the init migration), now with what
    -- the bridge decides a connection on. The hash leaves only to service identities.
    create function assets.resolve_charger_registration(p_code text)
      returns table (charger_id uuid, tenant_id uuid, station_id uuid, protocol text, security_profile smallint,
                     password_hash text, ykc_identity jsonb, ykc_identity_source text, allowed_source_cidrs text[], des_key_ref text,
                     allow_profile0_commissioning boolean, learn_ykc_identity_on_first_login boolean, tenant_allowed_source_cidrs text[])
      language sql stable security definer set search_path = assets, pg_temp
      as $$ select c.id, c.tenant_id, c.station_id, c.protocol,
                   coalesce(s.security_profile, case when c.protocol = 'OCPP16' then 1::smallint end),
                   s.password_hash, s.ykc_identity, s.ykc_identity_source,
                   coalesce(s.allowed_source_cidrs::text[], '{}'), s.des_key_ref,
                   coalesce(p.allow_profile0_commissioning, false), coalesce(p.learn_ykc_identity_on_first_login, false),
                   coalesce(p.allowed_source_cidrs::text[], '{}')
              from assets.chargers c
              left join assets.charger_security s on s.charger_id = c.id and s.tenant_id = c.tenant_id
              left join assets.charger_security_policies p on p.tenant_id = c.tenant_id
             where c.code = p_code and c.registration_state = 'REGISTERED' $$;
  `);
  await grantExecuteToAppRole(knex, ['assets.resolve_charger_registration(text)'], { readersOf: 'assets.chargers' });
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop function if exists assets.resolve_charger_registration(text);
    create function assets.resolve_charger_registration(p_code text)
      returns table (charger_id uuid, tenant_id uuid, station_id uuid)
      language sql stable security definer set search_path = assets, pg_temp
      as $$ select id, tenant_id, station_id from assets.chargers
            where code = p_code and registration_state = 'REGISTERED' $$;
    drop table if exists assets.audit_log;
    drop function if exists assets.audit_log_append_only();
    drop table if exists assets.charger_security_policies;
    drop table if exists assets.charger_security;
  `);
}
