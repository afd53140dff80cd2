import type { Knex } from 'knex';

/**
 * The daily statement scheduler works for every tenant with payment activity on a
 * day: a narrow SECURITY DEFINER lookup of those tenants (ids only).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create function payments.tenants_with_activity_between(p_from timestamptz, p_to timestamptz)
      returns table (tenant_id uuid, channel text)
      language sql stable security definer set search_path = payments, pg_temp
      as $$ select distinct p.tenant_id, p.channel from payments.payments p
             where (p.paid_at >= p_from and p.paid_at < p_to)
                or exists (select 1 from payments.refunds r where r.payment_id = p.id and r.succeeded_at >= p_from and r.succeeded_at < p_to) $$;
    revoke execute on function payments.tenants_with_activity_between(timestamptz, timestamptz) from public;
  `);
  await knex.raw(`
    do $$
    declare g text;
    begin
      for g in select distinct grantee from information_schema.role_table_grants
                where table_schema = 'payments' and table_name = 'refunds' and privilege_type = 'SELECT'
                  and grantee <> current_user and grantee <> 'PUBLIC' loop
        execute format('grant execute on function payments.tenants_with_activity_between(timestamptz, timestamptz) to %I', g);
      end loop;
    end $$;`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop function if exists payments.tenants_with_activity_between(timestamptz, timestamptz)');
}
