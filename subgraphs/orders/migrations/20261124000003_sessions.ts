import type { Knex } from 'knex';
import { tenantRlsStatements } from '@evcs/platform';

/**
 * Charging orders from plug to bill. Exactly-once is enforced here, not by
 * read-then-insert: an inbound event is recorded once (inbox), an order exists
 * once per (charger, transaction id) and once per idempotency key, a meter
 * reading once per instant. Indexes serve the list filters with tenant_id first.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    drop table if exists orders.charging_orders;

    create table orders.orders (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null,
      station_id uuid,
      charger_id uuid,
      charger_code text not null,
      connector_no integer not null check (connector_no between 0 and 255),
      user_id uuid,
      id_tag text,
      origin text not null check (origin in ('API','CHARGER')),
      transaction_id text,
      state text not null check (state in ('PENDING','CHARGING','FINISHING','COMPLETED','FAILED','TO_PAY','PAID','PARTIALLY_REFUNDED','REFUNDED')),
      started_at timestamptz,
      stopped_at timestamptz,
      meter_start_wh bigint check (meter_start_wh >= 0),
      meter_stop_wh bigint check (meter_stop_wh >= 0),
      energy_wh bigint check (energy_wh >= 0),
      amount numeric(14,2),
      currency text not null default 'CNY',
      bill jsonb,
      failure_reason text,
      stop_reason text,
      review_flags text[] not null default '{}',
      idempotency_key text,
      request_hash text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    comment on column orders.orders.amount is 'yuan, rounded once (half-up) by the pricing engine';
    create unique index orders_transaction on orders.orders (tenant_id, charger_code, transaction_id) where transaction_id is not null;
    create unique index orders_idempotency on orders.orders (tenant_id, idempotency_key) where idempotency_key is not null;
    -- list queries: newest first within a tenant, optionally by station, charger, user or state
    create index orders_by_start on orders.orders (tenant_id, (coalesce(started_at, created_at)) desc, id desc);
    create index orders_by_station on orders.orders (tenant_id, station_id, (coalesce(started_at, created_at)) desc, id desc);
    create index orders_by_charger on orders.orders (tenant_id, charger_id, (coalesce(started_at, created_at)) desc, id desc);
    create index orders_by_user on orders.orders (tenant_id, user_id, (coalesce(started_at, created_at)) desc, id desc) where user_id is not null;
    create index orders_by_state on orders.orders (tenant_id, state, (coalesce(started_at, created_at)) desc, id desc);
    create index orders_active_connector on orders.orders (tenant_id, charger_code, connector_no) where state in ('PENDING','CHARGING','FINISHING');

    create table orders.order_transitions (
      id bigint generated always as identity primary key,
      tenant_id uuid not null,
      order_id uuid not null references orders.orders(id),
      from_state text,
      to_state text not null,
      reason text,
      at timestamptz not null default now()
    );
    create index order_transitions_order on orders.order_transitions (tenant_id, order_id, id);

    create table orders.meter_readings (
      tenant_id uuid not null,
      order_id uuid not null references orders.orders(id),
      at timestamptz not null,
      register_wh bigint not null check (register_wh >= 0),
      primary key (order_id, at)
    );

    create table orders.inbox (
      tenant_id uuid not null,
      event_id uuid not null,
      processed_at timestamptz not null default now(),
      primary key (tenant_id, event_id)
    );

    create table orders.anomalies (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null,
      kind text not null,
      charger_code text not null,
      transaction_id text,
      detail jsonb not null default '{}',
      state text not null default 'OPEN' check (state in ('OPEN','RESOLVED')),
      note text,
      created_at timestamptz not null default now()
    );
    create unique index anomalies_once on orders.anomalies (tenant_id, kind, charger_code, coalesce(transaction_id, ''));

    create table orders.charger_records (
      tenant_id uuid not null,
      charger_code text not null,
      transaction_id text not null,
      started_at timestamptz not null,
      ended_at timestamptz not null,
      energy_wh bigint not null,
      amount numeric(14,4) not null,
      received_at timestamptz not null default now(),
      primary key (tenant_id, charger_code, transaction_id)
    );
    create index charger_records_day on orders.charger_records (tenant_id, ended_at);

    -- commands to chargers, written in the same transaction as the order (outbox), relayed to Kafka
    create table orders.outbox (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null,
      -- the order a command is for: command results come back by the command's id
      order_id uuid references orders.orders(id),
      topic text not null,
      key text not null,
      payload jsonb not null,
      created_at timestamptz not null default now(),
      published_at timestamptz
    );
    create index outbox_unpublished on orders.outbox (created_at) where published_at is null;
  `);
  // The outbox relay works for every tenant: two narrow definer functions instead of a BYPASSRLS role.
  await knex.raw(`
    create function orders.outbox_pending(p_limit integer)
      returns table (id uuid, tenant_id uuid, topic text, key text, payload jsonb, created_at timestamptz)
      language sql stable security definer set search_path = orders, pg_temp
      as $$ select o.id, o.tenant_id, o.topic, o.key, o.payload, o.created_at from orders.outbox o
              where o.published_at is null order by o.created_at, o.id limit least(p_limit, 1000) $$;
    create function orders.outbox_mark_published(p_ids uuid[])
      returns integer
      language sql security definer set search_path = orders, pg_temp
      as $$ with u as (update orders.outbox set published_at = now() where id = any(p_ids) and published_at is null returning 1)
            select count(*)::int from u $$;
    -- Pending starts past their deadline, for the timeout job (ids only).
    create function orders.stale_pending_starts(p_before timestamptz, p_limit integer)
      returns table (id uuid, tenant_id uuid)
      language sql stable security definer set search_path = orders, pg_temp
      as $$ select o.id, o.tenant_id from orders.orders o where o.state = 'PENDING' and o.created_at < p_before
              order by o.created_at limit least(p_limit, 1000) $$;
    revoke execute on function orders.outbox_pending(integer), orders.outbox_mark_published(uuid[]), orders.stale_pending_starts(timestamptz, integer) from public;
  `);
  await knex.raw(`
    do $$
    declare g text;
    begin
      for g in select distinct grantee from information_schema.role_table_grants
                where table_schema = 'orders' and table_name = 'orders' and privilege_type = 'SELECT'
                  and grantee <> current_user and grantee <> 'PUBLIC' loop
        execute format('grant execute on function orders.outbox_pending(integer), orders.outbox_mark_published(uuid[]), orders.stale_pending_starts(timestamptz, integer) to %I', g);
      end loop;
    end $$;`);
  for (const t of ['orders', 'order_transitions', 'meter_readings', 'inbox', 'anomalies', 'charger_records', 'outbox']) {
    for (const stmt of tenantRlsStatements(`orders.${t}`)) await knex.raw(stmt);
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop function if exists orders.outbox_pending(integer), orders.outbox_mark_published(uuid[]), orders.stale_pending_starts(timestamptz, integer);
    drop table if exists orders.outbox, orders.charger_records, orders.anomalies, orders.inbox, orders.meter_readings, orders.order_transitions, orders.orders;
  `);
}
