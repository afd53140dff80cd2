import type { Knex } from 'knex';
import { grantExecuteToAppRole } from '@evcs/platform';

/**
 * Revoking a charger's credential (a leaked password, a stolen or decommissioned charger): its
 * hash is removed and `credential_revoked_at` says why there is none — a revoked charger must not
 * be let in as a profile-0 commissioning charger either, so the bridge needs to tell "revoked"
 * from "never had one". Setting a credential again clears it. The reason is on the audit trail.
 * resolve_charger_registration returns it to the bridge.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    alter table assets.charger_security
      add column credential_revoked_at timestamptz,
      add constraint charger_security_revoked_has_no_hash check (credential_revoked_at is null or password_hash is null);

    drop function assets.resolve_charger_registration(text);
    create function assets.resolve_charger_registration(p_code text)
      returns table (charger_id uuid, tenant_id uuid, station_id uuid, protocol text, security_profile smallint,
                     password_hash text, ykc_identity jsonb, ykc_identity_source text, allowed_source_cidrs text[], des_key_ref text,
                     allow_profile0_commissioning boolean, learn_ykc_identity_on_first_login boolean, tenant_allowed_source_cidrs text[],
                     credential_revoked_at timestamptz)
      language sql stable security definer set search_path = assets, pg_temp
      as $$ select c.id, c.tenant_id, c.station_id, c.protocol,
                   coalesce(s.security_profile, case when c.protocol = 'OCPP16' then 1::smallint end),
                   s.password_hash, s.ykc_identity, s.ykc_identity_source,
                   coalesce(s.allowed_source_cidrs::text[], '{}'), s.des_key_ref,
                   coalesce(p.allow_profile0_commissioning, false), coalesce(p.learn_ykc_identity_on_first_login, false),
                   coalesce(p.allowed_source_cidrs::text[], '{}'),
                   s.credential_revoked_at
              from assets.chargers c
              left join assets.charger_security s on s.charger_id = c.id and s.tenant_id = c.tenant_id
              left join assets.charger_security_policies p on p.tenant_id = c.tenant_id
             where c.code = p_code and c.registration_state = 'REGISTERED' $$;
  `);
  await grantExecuteToAppRole(knex, ['assets.resolve_charger_registration(text)'], { readersOf: 'assets.chargers' });
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop function assets.resolve_charger_registration(text);
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
    alter table assets.charger_security
      drop constraint if exists charger_security_revoked_has_no_hash,
      drop column if exists credential_revoked_at;
  `);
  await grantExecuteToAppRole(knex, ['assets.resolve_charger_registration(text)'], { readersOf: 'assets.chargers' });
}
