import type { Knex } from 'knex';
import { tenantRlsStatements } from '@evcs/platform';

/**
 * Payments with real channels: payable orders (from order.completed), payments,
 * refunds, the notification log, the transactional outbox, statement runs and
 * their discrepancies. Every tenant-owned table carries tenant_id under forced RLS.
 * Money is integer fen (bigint); amounts fit GraphQL Int by constraint.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    -- the placeholder table held no data; the real one replaces it
    drop table if exists payments.payments;

    create table payments.payable_orders (
      tenant_id uuid not null,
      order_id uuid not null,
      station_id uuid,
      user_id text,
      amount_fen bigint not null check (amount_fen > 0 and amount_fen <= 2147483647),
      currency char(3) not null default 'CNY',
      description text not null default '',
      status text not null default 'PAYABLE' check (status in ('PAYABLE', 'PAID', 'PARTIALLY_REFUNDED', 'REFUNDED')),
      event_id uuid not null,
      completed_at timestamptz not null,
      received_at timestamptz not null default now(),
      primary key (tenant_id, order_id)
    );

    create table payments.payments (
      id uuid primary key,
      tenant_id uuid not null,
      order_id uuid not null,
      station_id uuid,
      idempotency_key text not null check (length(idempotency_key) between 8 and 128),
      channel text not null check (channel in ('ALIPAY', 'WECHATPAY')),
      method text not null check (method in ('ALIPAY_APP', 'ALIPAY_QR', 'WECHAT_JSAPI', 'WECHAT_NATIVE')),
      out_trade_no text not null unique,
      amount_fen bigint not null check (amount_fen > 0 and amount_fen <= 2147483647),
      -- refunds PROCESSING or SUCCEEDED: reserved atomically, so concurrent refunds can't exceed the paid amount
      refunded_fen bigint not null default 0 check (refunded_fen >= 0 and refunded_fen <= amount_fen),
      currency char(3) not null default 'CNY',
      state text not null default 'PENDING' check (state in ('PENDING', 'PAYING', 'SUCCEEDED', 'FAILED', 'CLOSED')),
      channel_trade_no text,
      client_params jsonb,
      flags text[] not null default '{}',
      failure_reason text,
      created_by text not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      paid_at timestamptz,
      closed_at timestamptz,
      unique (tenant_id, idempotency_key)
    );
    create unique index payments_one_success_per_order on payments.payments (tenant_id, order_id) where state = 'SUCCEEDED';
    create index payments_tenant_created on payments.payments (tenant_id, created_at desc, id desc);
    create index payments_open on payments.payments (created_at) where state in ('PENDING', 'PAYING');
    create index payments_paid_at on payments.payments (tenant_id, channel, paid_at);

    create table payments.refunds (
      id uuid primary key,
      tenant_id uuid not null,
      payment_id uuid not null references payments.payments (id),
      idempotency_key text not null check (length(idempotency_key) between 8 and 128),
      out_refund_no text not null unique,
      amount_fen bigint not null check (amount_fen > 0),
      reason text not null,
      state text not null default 'PROCESSING' check (state in ('PROCESSING', 'SUCCEEDED', 'FAILED')),
      channel_refund_no text,
      failure_reason text,
      created_by text not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      succeeded_at timestamptz,
      unique (tenant_id, idempotency_key)
    );
    create index refunds_payment on payments.refunds (tenant_id, payment_id);
    create index refunds_processing on payments.refunds (created_at) where state = 'PROCESSING';

    -- every verified notification once: a replay finds its row and changes nothing
    create table payments.notifications (
      id bigserial primary key,
      tenant_id uuid not null,
      channel text not null,
      notify_id text not null,
      out_trade_no text not null,
      kind text not null,
      outcome text not null,
      received_at timestamptz not null default now(),
      unique (channel, notify_id)
    );

    -- rejected (forged, tampered, stale) notifications: no tenant can be trusted for them, so none is stored
    create table payments.notification_rejections (
      id bigserial primary key,
      channel text not null,
      reason text not null,
      received_at timestamptz not null default now()
    );

    create table payments.outbox (
      id uuid primary key,
      seq bigserial not null,
      tenant_id uuid not null,
      topic text not null,
      key text not null,
      payload jsonb not null,
      created_at timestamptz not null default now(),
      published_at timestamptz
    );
    create index outbox_unpublished on payments.outbox (seq) where published_at is null;

    create table payments.statement_runs (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null,
      channel text not null check (channel in ('ALIPAY', 'WECHATPAY')),
      statement_date date not null,
      status text not null check (status in ('RUNNING', 'COMPLETED', 'FAILED')),
      lines int not null default 0,
      matched int not null default 0,
      discrepancies int not null default 0,
      error text,
      runs int not null default 1,
      started_at timestamptz not null default now(),
      finished_at timestamptz,
      unique (tenant_id, channel, statement_date)
    );

    create table payments.statement_discrepancies (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null,
      run_id uuid not null references payments.statement_runs (id),
      channel text not null,
      statement_date date not null,
      kind text not null check (kind in ('MISSING_LOCALLY', 'MISSING_AT_CHANNEL', 'AMOUNT_MISMATCH', 'STATUS_MISMATCH')),
      out_trade_no text not null,
      out_refund_no text not null default '',
      payment_id uuid,
      refund_id uuid,
      local_amount_fen bigint,
      channel_amount_fen bigint,
      local_state text,
      channel_state text,
      detected_at timestamptz not null default now(),
      last_seen_at timestamptz not null default now(),
      resolved_at timestamptz,
      resolved_by text,
      resolution_note text,
      unique (run_id, kind, out_trade_no, out_refund_no)
    );
    create index statement_discrepancies_tenant on payments.statement_discrepancies (tenant_id, statement_date desc, id);
  `);
  for (const t of ['payable_orders', 'payments', 'refunds', 'notifications', 'outbox', 'statement_runs', 'statement_discrepancies']) {
    for (const stmt of tenantRlsStatements(`payments.${t}`)) await knex.raw(stmt);
  }

  // ---- the narrow cross-tenant paths, as SECURITY DEFINER functions ---------------------------
  // A notification names only the trade: its tenant comes from our own record of the trade,
  // never from the notification's say-so. The relay and the settlement loop work for every tenant.
  await knex.raw(`
    create function payments.tenant_of_trade(p_out_trade_no text) returns uuid
      language sql stable security definer set search_path = payments, pg_temp
      as $$ select tenant_id from payments.payments where out_trade_no = p_out_trade_no $$;

    create function payments.tenants_of_trades(p_out_trade_nos text[]) returns table (out_trade_no text, tenant_id uuid)
      language sql stable security definer set search_path = payments, pg_temp
      as $$ select p.out_trade_no, p.tenant_id from payments.payments p where p.out_trade_no = any(p_out_trade_nos) $$;

    create function payments.due_for_settlement(p_before timestamptz, p_limit int)
      returns table (tenant_id uuid, kind text, id uuid)
      language sql stable security definer set search_path = payments, pg_temp
      as $$ (select tenant_id, 'PAYMENT', id from payments.payments where state in ('PENDING', 'PAYING') and created_at < p_before order by created_at limit p_limit)
            union all
            (select tenant_id, 'REFUND', id from payments.refunds where state = 'PROCESSING' and created_at < p_before order by created_at limit p_limit) $$;

    create function payments.outbox_pending(p_limit int)
      returns table (id uuid, topic text, key text, payload jsonb)
      language sql stable security definer set search_path = payments, pg_temp
      as $$ select id, topic, key, payload from payments.outbox where published_at is null order by seq limit p_limit $$;

    create function payments.outbox_mark_published(p_ids uuid[]) returns int
      language sql volatile security definer set search_path = payments, pg_temp
      as $$ with u as (update payments.outbox set published_at = now() where id = any(p_ids) and published_at is null returning 1) select count(*)::int from u $$;
  `);
  const fns = [
    'tenant_of_trade(text)',
    'tenants_of_trades(text[])',
    'due_for_settlement(timestamptz, int)',
    'outbox_pending(int)',
    'outbox_mark_published(uuid[])',
  ];
  for (const f of fns) await knex.raw(`revoke execute on function payments.${f} from public`);
  // default privileges granted the application role; state it for roles created otherwise
  await knex.raw(`
    do $$
    declare g text;
    begin
      for g in select distinct grantee from information_schema.role_table_grants
                where table_schema = 'payments' and table_name = 'refunds' and privilege_type = 'SELECT'
                  and grantee <> current_user and grantee <> 'PUBLIC' loop
        ${fns.map((f) => `execute format('grant execute on function payments.${f} to %I', g);`).join('\n        ')}
      end loop;
    end $$;`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop function if exists payments.outbox_mark_published(uuid[]);
    drop function if exists payments.outbox_pending(int);
    drop function if exists payments.due_for_settlement(timestamptz, int);
    drop function if exists payments.tenants_of_trades(text[]);
    drop function if exists payments.tenant_of_trade(text);
    drop table if exists payments.statement_discrepancies;
    drop table if exists payments.statement_runs;
    drop table if exists payments.outbox;
    drop table if exists payments.notification_rejections;
    drop table if exists payments.notifications;
    drop table if exists payments.refunds;
    drop table if exists payments.payments;
    drop table if exists payments.payable_orders;
  `);
}
