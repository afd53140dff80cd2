import type { Knex } from 'knex';
import { grantExecuteToAppRole, tenantRlsStatements } from '@evcs/platform';

/**
 * Firmware and diagnostics (issue 16):
 *
 *  - chargers: the last FirmwareStatusNotification / DiagnosticsStatusNotification status and
 *    its time (the firmware version stays where BootNotification puts it).
 *  - charger_diagnostics: one row per GetDiagnostics command — the upload it allows (id = the
 *    uploadId in the URL, the SHA-256 of its one-time token, never the token, and until when),
 *    then the file the charger uploaded (content as bytea, size, sha256, when). A row takes one
 *    upload: `received_at` set means the token is spent.
 *  - diagnostics_upload_target: the upload endpoint's one cross-tenant read (an upload carries
 *    no tenant), by id: the tenant, token hash and whether it is still open. SECURITY DEFINER;
 *    the upload itself is written in the tenant's own transaction.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    alter table assets.chargers
      add column firmware_status text check (length(firmware_status) <= 64),
      add column firmware_status_at timestamptz,
      add column diagnostics_status text check (length(diagnostics_status) <= 64),
      add column diagnostics_status_at timestamptz;

    create table assets.charger_diagnostics (
      id uuid primary key,
      tenant_id uuid not null,
      charger_id uuid not null references assets.chargers(id),
      command_id uuid not null,
      token_hash text not null check (token_hash ~ '^[0-9a-f]{64}$'),
      created_at timestamptz not null default now(),
      expires_at timestamptz not null,
      file_name text check (length(file_name) <= 255),
      size integer check (size >= 0),
      sha256 text check (sha256 ~ '^[0-9a-f]{64}$'),
      content bytea,
      received_at timestamptz,
      check ((received_at is null) = (content is null))
    );
    create index charger_diagnostics_by_charger on assets.charger_diagnostics (tenant_id, charger_id, received_at desc) where received_at is not null;

    create function assets.diagnostics_upload_target(p_id uuid)
      returns table (tenant_id uuid, token_hash text, open boolean)
      language sql stable security definer set search_path = assets, pg_temp
      as $$ select d.tenant_id, d.token_hash, d.received_at is null and d.expires_at > now()
              from assets.charger_diagnostics d where d.id = p_id $$;
  `);
  for (const stmt of tenantRlsStatements('assets.charger_diagnostics')) await knex.raw(stmt);
  await grantExecuteToAppRole(knex, ['assets.diagnostics_upload_target(uuid)'], { readersOf: 'assets.chargers' });
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop function if exists assets.diagnostics_upload_target(uuid);
    drop table if exists assets.charger_diagnostics;
    alter table assets.chargers
      drop column if exists firmware_status, drop column if exists firmware_status_at,
      drop column if exists diagnostics_status, drop column if exists diagnostics_status_at;
  `);
}
