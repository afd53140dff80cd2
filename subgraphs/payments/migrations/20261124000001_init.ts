import type { Knex } from 'knex';
import { tenantRlsStatements } from '@evcs/platform';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table payments.payments (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null,
      order_id uuid not null,
      channel text not null check (channel in ('ALIPAY_APP','ALIPAY_QR','WECHAT_JSAPI','WECHAT_NATIVE')),
      -- money in integer minor units (fen), never a float
      amount_minor bigint not null check (amount_minor >= 0),
      currency char(3) not null default 'CNY',
      status text not null default 'PENDING',
      created_at timestamptz not null default now()
    );
    create index payments_tenant_order on payments.payments (tenant_id, order_id);
  `);
  for (const stmt of tenantRlsStatements('payments.payments')) await knex.raw(stmt);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table if exists payments.payments');
}
