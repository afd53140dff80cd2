import type { Knex } from 'knex';
import { grantExecuteToAppRole } from '@evcs/platform';

/**
 * The fleet gauges (evcs_chargers_*, evcs_connectors) count across tenants, which row-level
 * security does not let the application role do: one SECURITY DEFINER function answering
 * counts per tenant and connector status, never a row or an id of a charger. Registered
 * chargers only; a connector of a charger that is offline counts as Offline.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create function assets.fleet_counts()
      returns table (tenant_id uuid, status text, chargers bigint, online bigint, charging bigint, connectors bigint)
      language sql stable security definer set search_path = assets, pg_temp
      as $$
        with c as (
          select ch.tenant_id, ch.id, ch.online,
                 bool_or(co.status = 'Charging' and ch.online) as charging
            from assets.chargers ch left join assets.connectors co on co.charger_id = ch.id and co.retired_at is null
           where ch.registration_state = 'REGISTERED'
           group by ch.tenant_id, ch.id, ch.online
        ), per_tenant as (
          select c.tenant_id, count(*) as chargers, count(*) filter (where c.online) as online,
                 count(*) filter (where c.charging) as charging
            from c group by c.tenant_id
        ), per_status as (
          select ch.tenant_id, case when ch.online then co.status else 'Offline' end as status, count(*) as connectors
            from assets.chargers ch join assets.connectors co on co.charger_id = ch.id and co.retired_at is null
           where ch.registration_state = 'REGISTERED'
           group by 1, 2
        )
        select t.tenant_id, s.status, t.chargers, t.online, t.charging, coalesce(s.connectors, 0)
          from per_tenant t left join per_status s on s.tenant_id = t.tenant_id
      $$;
  `);
  await grantExecuteToAppRole(knex, ['assets.fleet_counts()'], { readersOf: 'assets.chargers' });
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop function if exists assets.fleet_counts()');
}
