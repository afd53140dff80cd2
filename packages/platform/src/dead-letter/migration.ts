import type { Knex } from 'knex';
import { tenantRlsStatements } from '../db/rls-policies';
import { UNATTRIBUTED_SETTING } from './store';

const SCHEMA = /^[a-z_][a-z0-9_]*$/;

/**
 * The dead letters of a service's consumers, for migrations: one row per message a consumer
 * could never handle (consumer, topic, partition, offset identify it; a redelivery of the same
 * message updates its row), with what is needed to replay it — key, headers, the payload's bytes —
 * why it failed and whether it was replayed.
 *
 * Tenant-owned under the standard policy (a consumer writes a dead letter in the tenant the
 * message names). A message that names no tenant we can read (not JSON, no `tenant-id` header) is
 * kept with tenant_id null: "unattributed". A second policy lets such rows be read and written
 * only by a transaction that says so (`app.dead_letters_unattributed`), which the platform's store
 * sets for the consumer recording one and for readers holding `event:replay` — platform roles.
 * Idempotent.
 */
export async function createDeadLetters(knex: Knex, schema: string): Promise<void> {
  if (!SCHEMA.test(schema)) throw new Error(`createDeadLetters: not a schema name: ${schema}`);
  const table = `${schema}.dead_letters`;
  await knex.raw(`
    create table if not exists ${table} (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid,
      consumer text not null,
      topic text not null,
      kafka_partition integer not null,
      kafka_offset bigint not null,
      key text,
      headers jsonb not null default '{}'::jsonb,
      payload bytea,
      reason_code text not null,
      reason_message text not null,
      attempts integer not null default 1,
      first_seen_at timestamptz not null default now(),
      last_seen_at timestamptz not null default now(),
      status text not null default 'DEAD' check (status in ('DEAD', 'REPLAYED')),
      replayed_at timestamptz,
      replayed_by text,
      published_at timestamptz,
      unique (consumer, topic, kafka_partition, kafka_offset)
    );
    create index if not exists dead_letters_newest on ${table} (first_seen_at desc, id desc);
  `);
  for (const stmt of tenantRlsStatements(table)) await knex.raw(stmt);
  const unattributed = `current_setting('${UNATTRIBUTED_SETTING}', true) = 'on'`;
  await knex.raw(`drop policy if exists dead_letters_unattributed on ${table}`);
  await knex.raw(`create policy dead_letters_unattributed on ${table}
      using (tenant_id is null and ${unattributed}) with check (tenant_id is null and ${unattributed})`);
}
