import type { Knex } from 'knex';
import { reapplyTenantPolicies } from '@evcs/platform';

/**
 * Tenant policies in their single-array form, tenant_id = any(own ∪ visible): the same rows as the
 * earlier "own or any(visible)", but the planner walks tenant-first indexes instead of building
 * bitmap ORs (docs/orders.md). Brings databases migrated before the change up to date.
 */
export const up = (knex: Knex): Promise<void> => reapplyTenantPolicies(knex, 'tariffs');
export const down = async (): Promise<void> => undefined;
