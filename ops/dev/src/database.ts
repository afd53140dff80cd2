import { DEFAULT_ROLES, ensureDatabase, migrateSchemas, withDatabase } from '@evcs/platform';
import { migrations as assets } from '@evcs/assets';
import { migrations as orders } from '@evcs/orders';
import { migrations as payments } from '@evcs/payments';
import { migrations as tariffs } from '@evcs/tariffs';
import { migrations as tenants } from '@evcs/tenants';
import { migrations as bridge } from '@evcs/protocol-bridge';
import { migrations as router } from '@evcs/router';

export const ALL_MIGRATIONS = [tenants, assets, tariffs, orders, payments, bridge, router];

/** Create roles and database if needed, and migrate every subgraph's schema. Returns the app role's URL. */
export async function prepareDatabase(superuserUrl: string, database: string): Promise<{ appUrl: string; ownerUrl: string }> {
  await ensureDatabase(superuserUrl, database);
  const ownerUrl = withDatabase(superuserUrl, database, DEFAULT_ROLES.owner);
  await migrateSchemas(ownerUrl, ALL_MIGRATIONS);
  return { ownerUrl, appUrl: withDatabase(superuserUrl, database, DEFAULT_ROLES.app) };
}
