import type { Knex } from 'knex';

/**
 * `event:replay` (list and replay the messages consumers could never apply — dead letters of
 * every tenant) goes to the platform's own system roles only: operators' administrators don't
 * get it. Spelled out, not derived from code, so this migration means the same forever.
 */
const ROLES = ['SUPER_ADMIN', 'PLATFORM_ADMIN'];

export async function up(knex: Knex): Promise<void> {
  await knex.raw(
    `update tenants.roles set permissions = array_append(permissions, 'event:replay')
      where tenant_id is null and code = any(?) and not ('event:replay' = any(permissions))`,
    [ROLES],
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`update tenants.roles set permissions = array_remove(permissions, 'event:replay') where tenant_id is null and code = any(?)`, [ROLES]);
}
