import type { Knex } from 'knex';
import { tenantRlsStatements } from '@evcs/platform';

/**
 * Daily reconciliation: one persisted run per tenant and business date (the
 * date in the run's timezone), with a checkpoint so a crashed run resumes, and
 * discrepancies that are unique per (date, kind, subject) so running a date
 * twice never duplicates them.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    alter table orders.orders
      add column paid_at timestamptz,
      add column paid_amount numeric(14,2);
    comment on column orders.orders.paid_at is 'when a payment for this order succeeded (payments events), whatever the order state';

    create table orders.reconciliation_runs (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null,
      business_date date not null,
      timezone text not null,
      state text not null check (state in ('RUNNING','COMPLETED','FAILED')),
      phase text not null default 'ORDERS' check (phase in ('ORDERS','CHARGER_RECORDS','DONE')),
      -- keyset position of the last finished batch: (coalesce(started_at, created_at), id) or (ended_at, transaction_id)
      checkpoint jsonb,
      processed integer not null default 0,
      discrepancies integer not null default 0,
      error text,
      heartbeat_at timestamptz not null default now(),
      started_at timestamptz not null default now(),
      finished_at timestamptz,
      unique (tenant_id, business_date)
    );

    create table orders.discrepancies (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null,
      run_id uuid not null references orders.reconciliation_runs(id),
      business_date date not null,
      kind text not null,
      -- what it is about: an order, or a charger record without one
      subject text not null,
      order_id uuid,
      charger_code text,
      transaction_id text,
      expected text,
      actual text,
      detail jsonb not null default '{}',
      state text not null default 'OPEN' check (state in ('OPEN','RESOLVED')),
      note text,
      resolved_by text,
      resolved_at timestamptz,
      created_at timestamptz not null default now(),
      unique (tenant_id, business_date, kind, subject)
    );
    create index discrepancies_list on orders.discrepancies (tenant_id, business_date desc, kind, state);
    create index orders_paid_unsettled on orders.orders (tenant_id, paid_at) where paid_at is not null;
    create index charger_records_tx on orders.charger_records (tenant_id, ended_at, charger_code, transaction_id);

    -- The scheduler needs to know which tenants had activity on a day (ids only).
    create function orders.tenants_active_between(p_from timestamptz, p_to timestamptz)
      returns table (tenant_id uuid)
      language sql stable security definer set search_path = orders, pg_temp
      as $$ select distinct o.tenant_id from orders.orders o where coalesce(o.started_at, o.created_at) >= p_from and coalesce(o.started_at, o.created_at) < p_to
            union select distinct r.tenant_id from orders.charger_records r where r.ended_at >= p_from and r.ended_at < p_to $$;
    revoke execute on function orders.tenants_active_between(timestamptz, timestamptz) from public;
  `);
  await knex.raw(`
    do $$
    declare g text;
    begin
      for g in select distinct grantee from information_schema.role_table_grants
                where table_schema = 'orders' and table_name = 'orders' and privilege_type = 'SELECT'
                  and grantee <> current_user and grantee <> 'PUBLIC' loop
        execute format('grant execute on function orders.tenants_active_between(timestamptz, timestamptz) to %I', g);
      end loop;
    end $$;`);
  for (const t of ['reconciliation_runs', 'discrepancies']) {
    for (const stmt of tenantRlsStatements(`orders.${t}`)) await knex.raw(stmt);
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop function if exists orders.tenants_active_between(timestamptz, timestamptz);
    drop table if exists orders.discrepancies, orders.reconciliation_runs;
    alter table orders.orders drop column if exists paid_at, drop column if exists paid_amount;
  `);
}
