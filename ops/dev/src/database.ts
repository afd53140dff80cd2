import { DEFAULT_ROLES, ensureDatabase, migrateSchemas, setRolePassword, withDatabase } from '@evcs/platform';
import { migrations as assets } from '@evcs/assets';
import { migrations as orders } from '@evcs/orders';
import { migrations as payments } from '@evcs/payments';
import { migrations as tariffs } from '@evcs/tariffs';
import { migrations as tenants } from '@evcs/tenants';
import { migrations as bridge } from '@evcs/protocol-bridge';
import { migrations as router } from '@evcs/router';

export const ALL_MIGRATIONS = [tenants, assets, tariffs, orders, payments, bridge, router];

/** Role passwords, for a Postgres that is not on trust auth (a deployment's migration job). */
export interface RolePasswords {
  owner?: string;
  app?: string;
}

/** Create roles and database if needed, and migrate every subgraph's schema. Returns the app role's URL. */
export async function prepareDatabase(superuserUrl: string, database: string, passwords: RolePasswords = {}): Promise<{ appUrl: string; ownerUrl: string }> {
  await ensureDatabase(superuserUrl, database);
  if (passwords.owner) await setRolePassword(superuserUrl, DEFAULT_ROLES.owner, passwords.owner);
  if (passwords.app) await setRolePassword(superuserUrl, DEFAULT_ROLES.app, passwords.app);
  const withPassword = (url: string, password?: string) => {
    const u = new URL(url);
    if (password) u.password = password;
    return u.toString();
  };
  const ownerUrl = withPassword(withDatabase(superuserUrl, database, DEFAULT_ROLES.owner), passwords.owner);
  await migrateSchemas(ownerUrl, ALL_MIGRATIONS);
  return { ownerUrl, appUrl: withDatabase(superuserUrl, database, DEFAULT_ROLES.app) };
}
