import type { Knex } from 'knex';
import { AppError, ErrorCodes, TenantContextMissingError } from '../errors';
import { isUuid } from '../ids';
import { transactionBeginningWith } from './knex-internals';

/** The per-transaction settings the row-level-security policies read. */
export const TENANT_SETTING = 'app.tenant_id';
/** Further tenants readable in this transaction (descendants, for TENANT_AND_CHILDREN), comma-separated. */
export const VISIBLE_TENANTS_SETTING = 'app.visible_tenant_ids';

/**
 * BEGIN and the tenant settings in one round trip. knex starts a transaction
 * with a separate `BEGIN;`, then we would set the tenant with another query:
 * two round trips before any work, on every request. The transaction is begun with
 * this statement instead (knex-internals.ts). It is built only from validated UUIDs.
 */
export function tenantBegin(tenantId: string, visible: readonly string[]): string {
  // Literals, not parameters: a multi-statement query can't take parameters. Safe because every
  // value was checked against the UUID pattern (hex and dashes only) just before.
  for (const t of [tenantId, ...visible]) {
    if (!isUuid(t)) throw new AppError(ErrorCodes.BAD_USER_INPUT, `tenant id is not a UUID: ${t}`);
  }
  return `BEGIN; SELECT set_config('${TENANT_SETTING}', '${tenantId}', true), set_config('${VISIBLE_TENANTS_SETTING}', '${visible.join(',')}', true);`;
}

/**
 * Run `fn` in a transaction whose row-level-security tenant is `tenantId`.
 * `set_config(..., true)` scopes the setting to this transaction only, so a
 * pooled connection never carries one tenant's context into another's query.
 */
export async function withTenant<T>(knex: Knex, tenantId: string, fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  if (!tenantId) throw new TenantContextMissingError('withTenant');
  return transactionBeginningWith(knex, tenantBegin(tenantId, []), fn);
}

/**
 * Like withTenant, but rows of `visibleTenantIds` are readable too (a parent
 * operator reading its partners' data). Writes still go to `tenantId` only: the
 * policies' WITH CHECK names the one tenant.
 */
export async function withTenantScope<T>(
  knex: Knex,
  scope: { tenantId: string; tenantIds: readonly string[] },
  fn: (trx: Knex.Transaction) => Promise<T>,
): Promise<T> {
  const { tenantId, tenantIds } = scope;
  if (!tenantId) throw new TenantContextMissingError('withTenantScope');
  return transactionBeginningWith(
    knex,
    tenantBegin(
      tenantId,
      tenantIds.filter((t) => t !== tenantId),
    ),
    fn,
  );
}

/**
 * Run `fn` once the transaction `trx` is part of has committed, and not if it fails: what is
 * reported about a change (metrics) must not count work that was rolled back or will be done
 * again. Work joined to a TenantBatches batch waits for the batch's commit. (An explicit
 * `trx.rollback()` without a reason resolves the transaction like a commit: don't use both.)
 */
export function afterCommit(trx: Knex.Transaction, fn: () => void): void {
  trx.executionPromise.then(fn, () => undefined);
}
