import type { Knex } from 'knex';

/**
 * The refunds list reads a tenant's refunds newest first by (created_at, id): without this index
 * every page sorted all of the tenant's refunds (refunds_payment serves only a payment's refunds).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('create index if not exists refunds_tenant_created on payments.refunds (tenant_id, created_at desc, id desc)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists payments.refunds_tenant_created');
}
