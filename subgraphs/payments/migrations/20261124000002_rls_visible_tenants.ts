import type { Knex } from 'knex';
import { applyTenantPolicies } from '@evcs/platform';

/** Re-apply the tenant policies: reads may also cover the request's visible (descendant) tenants. */
export const up = (knex: Knex): Promise<void> => applyTenantPolicies(knex, 'payments');
export const down = async (): Promise<void> => undefined;
