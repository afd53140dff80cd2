import { randomUUID } from 'node:crypto';
import type { AccessRevoked } from '@evcs/events';
import type { Clock } from './clock';
import type { TenantTx } from './ports';

/** Why a user's tokens were revoked (the event's `reason`; an open set on the wire). */
export type RevocationReason = 'ROLES_CHANGED' | 'ROLE_CHANGED' | 'STATIONS_CHANGED' | 'TENANT_SUSPENDED' | 'USER_DISABLED' | 'REFRESH_TOKEN_REUSED';

/**
 * Revoke the access tokens the users hold now, in the caller's transaction: the
 * users' cut-offs move and one `access.revoked` event per user goes to the
 * outbox, so both commit — or neither — with the change that caused them.
 * Returns how many users it revoked.
 *
 * Order matters. The users' rows are locked first; only then is the cut-off
 * taken. A token issued concurrently was issued under a share lock on the same
 * row, so by now it is either committed — signed earlier, its iat below the
 * cut-off — or waiting, and will see the change and the new cut-off.
 */
export async function revokeAccess(tx: TenantTx, tokenClock: Clock, userIds: readonly string[], reason: RevocationReason): Promise<number> {
  if (userIds.length === 0) return 0;
  const locked = await tx.lockUsers(userIds);
  if (locked.length === 0) return 0;
  const now = tokenClock.now();
  // A whole second later than any iat signed up to now (iat is whole seconds).
  const cutoffs = await tx.raiseAccessCutoff(locked, Math.floor(now.getTime() / 1000) + 1);
  const occurredAt = now.toISOString();
  await tx.queueAccessEvents(
    cutoffs.map((c): AccessRevoked => ({
      id: randomUUID(),
      type: 'access.revoked',
      version: 1,
      tenantId: tx.tenantId,
      occurredAt,
      data: { userId: c.userId, issuedBefore: c.issuedBefore, reason },
    })),
  );
  return cutoffs.length;
}
