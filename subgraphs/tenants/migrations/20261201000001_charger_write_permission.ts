import type { Knex } from 'knex';

/**
 * `charger:write` (charger credentials and security: passwords, security
 * profiles, YKC pile identities, the tenant's charger-security policy) goes to
 * the system roles that register chargers, i.e. those holding station:write.
 * Spelled out, not derived from code, so this migration means the same forever.
 * Tenants' own roles are theirs to change.
 */
const ROLES = ['SUPER_ADMIN', 'PLATFORM_ADMIN', 'OPERATOR_ADMIN'];

export async function up(knex: Knex): Promise<void> {
  await knex.raw(
    `update tenants.roles set permissions = array_append(permissions, 'charger:write')
      where tenant_id is null and code = any(?) and 'station:write' = any(permissions) and not ('charger:write' = any(permissions))`,
    [ROLES],
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`update tenants.roles set permissions = array_remove(permissions, 'charger:write') where tenant_id is null and code = any(?)`, [ROLES]);
}
