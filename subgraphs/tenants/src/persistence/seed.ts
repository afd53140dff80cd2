import { Knex, withTenant } from '@evcs/platform';
import type { DataScope } from '@evcs/platform';
import type { PasswordHasher } from '../domain/password';

export interface SeedUser {
  username: string;
  password: string;
  displayName?: string;
  /** system role codes, e.g. OPERATOR_ADMIN */
  roles: string[];
  stationIds?: string[];
}

export interface SeedTenant {
  id: string;
  code: string;
  name: string;
  type: 'PLATFORM' | 'OPERATOR' | 'PARTNER';
  parentId?: string | null;
  quotas?: { maxUsers?: number | null; maxStations?: number | null; maxChargers?: number | null };
  users: SeedUser[];
  /**
   * Users that exist already get these passwords again (and are unlocked). For the local
   * demo, whose passwords live in a file that may have been regenerated since the database
   * was seeded; never for real tenants.
   */
  resetPasswords?: boolean;
}

/** A custom role, for tests and demos that need one. */
export interface SeedRole {
  code: string;
  name: string;
  dataScope: DataScope;
  permissions: string[];
}

/**
 * Bootstrap data (demo, tests, a new deployment's platform tenant): a tenant
 * and its users with system roles. Idempotent; runs as the application role,
 * inside the new tenant's own RLS scope. Returns user ids by username.
 */
export async function seedTenantWithAdmin(knex: Knex, hasher: PasswordHasher, t: SeedTenant): Promise<Record<string, string>> {
  const hashes = await Promise.all(t.users.map((u) => hasher.hash(u.password)));
  return withTenant(knex, t.id, async (trx) => {
    await trx('tenants.tenants')
      .insert({
        id: t.id,
        parent_id: t.parentId ?? null,
        code: t.code,
        name: t.name,
        type: t.type,
        max_users: t.quotas?.maxUsers ?? null,
        max_stations: t.quotas?.maxStations ?? null,
        max_chargers: t.quotas?.maxChargers ?? null,
      })
      .onConflict('id')
      .ignore();
    const ids: Record<string, string> = {};
    for (const [i, u] of t.users.entries()) {
      const insert = trx('tenants.users')
        .insert({ tenant_id: t.id, username: u.username, display_name: u.displayName ?? null, password_hash: hashes[i] })
        .onConflict(['tenant_id', 'username']);
      await (t.resetPasswords ? insert.merge({ password_hash: hashes[i], failed_login_count: 0, locked_until: null }) : insert.ignore());
      const { id } = await trx('tenants.users').select('id').where({ tenant_id: t.id, username: u.username }).first();
      ids[u.username] = id;
      const roles = await trx('tenants.roles').select('id').whereNull('tenant_id').whereIn('code', u.roles);
      if (roles.length !== u.roles.length) throw new Error(`unknown system role among ${u.roles.join(', ')}`);
      if (roles.length) {
        await trx('tenants.user_roles')
          .insert(roles.map((r: { id: string }) => ({ tenant_id: t.id, user_id: id, role_id: r.id })))
          .onConflict(['user_id', 'role_id'])
          .ignore();
      }
      if (u.stationIds?.length) {
        await trx('tenants.user_stations')
          .insert(u.stationIds.map((s) => ({ tenant_id: t.id, user_id: id, station_id: s })))
          .onConflict(['user_id', 'station_id'])
          .ignore();
      }
    }
    return ids;
  });
}

/**
 * Register id tags (ACCEPTED, no user) for a tenant, for demos: the simulated chargers' tags.
 * Idempotent. Raises the tenant's local-list version when it added any, so chargers that
 * connect afterwards are sent the list (no events: nothing is connected while seeding).
 */
export async function seedIdTags(knex: Knex, tenantId: string, values: readonly string[]): Promise<void> {
  await withTenant(knex, tenantId, async (trx) => {
    const added = await trx.raw<{ rows: unknown[] }>(
      `insert into tenants.id_tags (tenant_id, value) select ?, v from unnest(?::text[]) v
       on conflict (tenant_id, upper(value)) do nothing returning id`,
      [tenantId, [...values]],
    );
    if (added.rows.length === 0) return;
    await trx.raw(
      `insert into tenants.id_tag_settings (tenant_id, list_version) values (?, ?)
       on conflict (tenant_id) do update set list_version = tenants.id_tag_settings.list_version + excluded.list_version, updated_at = now()`,
      [tenantId, added.rows.length],
    );
  });
}
