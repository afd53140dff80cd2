import type { Knex } from 'knex';

/**
 * A reservation a session used up (issue 16): when the charger starts a session on the reserved
 * connector for the reservation (OCPP StartTransaction with its reservationId, or the reserved id
 * tag), the reservation is over, though its expiry is still ahead. Kept on the RESERVE_NOW
 * command that made it: when, and the session's transaction id. charger_commands is already
 * under the tenant RLS policy; the index finds a charger's reservations by the code charger
 * events carry.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    alter table assets.charger_commands
      add column reservation_used_at timestamptz,
      add column reservation_used_by text check (length(reservation_used_by) <= 64),
      add constraint charger_commands_reservation_used check (
        (reservation_used_at is null or type = 'reservation.reserve') and ((reservation_used_at is null) = (reservation_used_by is null))
      );
    create index charger_commands_reservations on assets.charger_commands (tenant_id, charger_code)
      where type = 'reservation.reserve' and status = 'ACCEPTED' and reservation_used_at is null;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop index if exists assets.charger_commands_reservations;
    alter table assets.charger_commands
      drop constraint if exists charger_commands_reservation_used,
      drop column if exists reservation_used_at,
      drop column if exists reservation_used_by;
  `);
}
