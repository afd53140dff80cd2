import knexFactory, { Knex } from 'knex';
import path from 'node:path';

/**
 * Database provisioning. Two roles, on purpose:
 *  - the owner role owns schemas and tables and runs migrations;
 *  - the application role that services connect as owns nothing and has no
 *    BYPASSRLS, so FORCE'd row-level security always applies to it.
 * The owner has BYPASSRLS so that the few deliberate cross-tenant lookups
 * (SECURITY DEFINER functions it owns, e.g. resolving a charger's tenant at
 * connect time) can work; nothing connects as the owner at run time.
 */
export interface DbRoles {
  owner: string;
  app: string;
}
export const DEFAULT_ROLES: DbRoles = { owner: 'evcs_owner', app: 'evcs_app' };

export interface SubgraphMigrations {
  /** Postgres schema the subgraph owns */
  schema: string;
  /** directory of compiled knex migration files */
  directory: string;
}

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;
function ident(name: string): string {
  if (!IDENT.test(name)) throw new Error(`unsafe SQL identifier: ${name}`);
  return `"${name}"`;
}

export function withDatabase(url: string, database: string, user?: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  if (user) {
    u.username = user;
    u.password = '';
  }
  return u.toString();
}

async function ignoreDuplicate(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (e) {
    // 42710 duplicate_object, 42P04 duplicate_database, 23505 unique_violation
    // (concurrent CREATE ROLE races on pg_authid's unique index).
    const code = (e as { code?: string }).code;
    if (code !== '42710' && code !== '42P04' && code !== '23505') throw e;
  }
}

/** Create the owner and application roles if missing (roles are cluster-wide). */
export async function ensureRoles(superuserUrl: string, roles: DbRoles = DEFAULT_ROLES): Promise<void> {
  const admin = knexFactory({ client: 'pg', connection: superuserUrl, pool: { min: 0, max: 1 } });
  try {
    await ignoreDuplicate(admin.raw(`create role ${ident(roles.owner)} login nosuperuser bypassrls`));
    await ignoreDuplicate(admin.raw(`create role ${ident(roles.app)} login nosuperuser nobypassrls noinherit`));
    // Roles may pre-exist with other attributes: state the ones isolation depends on.
    await admin.raw(`alter role ${ident(roles.app)} nosuperuser nobypassrls`);
  } finally {
    await admin.destroy();
  }
}

/**
 * Give a role a password (a deployment whose Postgres is not on trust auth). The statement is
 * quoted by the server (format %I / %L): passwords are never spliced into SQL here.
 */
export async function setRolePassword(superuserUrl: string, role: string, password: string): Promise<void> {
  ident(role); // the same names as everywhere here, refused before anything connects
  const admin = knexFactory({ client: 'pg', connection: superuserUrl, pool: { min: 0, max: 1 } });
  try {
    const stmt = await admin.raw<{ rows: { sql: string }[] }>('select format(?, ?::text, ?::text) as sql', ['alter role %I password %L', role, password]);
    await admin.raw(stmt.rows[0].sql);
  } finally {
    await admin.destroy();
  }
}

/** Create roles and the database if missing. `superuserUrl` points at any database of the cluster. */
export async function ensureDatabase(superuserUrl: string, database: string, roles: DbRoles = DEFAULT_ROLES): Promise<void> {
  await ensureRoles(superuserUrl, roles);
  const admin = knexFactory({ client: 'pg', connection: superuserUrl, pool: { min: 0, max: 1 } });
  try {
    const exists = await admin.raw('select 1 from pg_database where datname = ?', [database]);
    if (exists.rows.length === 0) await ignoreDuplicate(admin.raw(`create database ${ident(database)} owner ${ident(roles.owner)}`));
  } finally {
    await admin.destroy();
  }
}

export async function dropDatabase(superuserUrl: string, database: string): Promise<void> {
  const admin = knexFactory({ client: 'pg', connection: superuserUrl, pool: { min: 0, max: 1 } });
  try {
    await admin.raw(`drop database if exists ${ident(database)} with (force)`);
  } finally {
    await admin.destroy();
  }
}

/** Create each subgraph's schema (owned by the owner role), grant the app role, run its migrations. */
export async function migrateSchemas(ownerUrl: string, subgraphs: SubgraphMigrations[], roles: DbRoles = DEFAULT_ROLES): Promise<void> {
  const owner: Knex = knexFactory({ client: 'pg', connection: ownerUrl, pool: { min: 0, max: 1 } });
  try {
    for (const sg of subgraphs) {
      const s = ident(sg.schema);
      // Serialise concurrent migrators of the same schema (several processes starting at once).
      await owner.transaction(async (trx) => {
        await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [`evcs-migrate:${sg.schema}`]);
        await trx.raw(`create schema if not exists ${s}`);
        await trx.raw(`grant usage on schema ${s} to ${ident(roles.app)}`);
        await trx.raw(`alter default privileges in schema ${s} grant select, insert, update, delete on tables to ${ident(roles.app)}`);
        await trx.raw(`alter default privileges in schema ${s} grant usage, select on sequences to ${ident(roles.app)}`);
        await trx.raw(`alter default privileges in schema ${s} grant execute on functions to ${ident(roles.app)}`);
      });
      const k = knexFactory({ client: 'pg', connection: ownerUrl, searchPath: [sg.schema, 'public'], pool: { min: 0, max: 1 } });
      try {
        await k.migrate.latest({
          directory: path.resolve(sg.directory),
          schemaName: sg.schema,
          tableName: 'knex_migrations',
          loadExtensions: ['.js'],
        });
      } finally {
        await k.destroy();
      }
    }
  } finally {
    await owner.destroy();
  }
}
