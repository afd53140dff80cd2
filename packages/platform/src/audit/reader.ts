import type { Knex } from 'knex';
import { z } from 'zod';
import { cursorCodec, type KeysetWindow } from '../cursor';
import { keysetPage, type KeysetOrder } from '../db/keyset';
import { withTenant } from '../db/tenant-scope';
import type { AuditActorType } from './entry';

/** What an audit log query may narrow to; every field optional, all given ones must hold. */
export interface AuditFilter {
  action?: string | null;
  targetType?: string | null;
  targetId?: string | null;
  actorId?: string | null;
  /** occurred at or after */
  from?: Date | null;
  /** occurred before */
  to?: Date | null;
}

export interface AuditEntryRecord {
  id: string;
  tenantId: string;
  occurredAt: Date;
  actorType: AuditActorType;
  actorId: string;
  onBehalfOf: string | null;
  action: string;
  targetType: string;
  targetId: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  details: Record<string, unknown> | null;
  requestId: string | null;
  clientAddress: string | null;
}

/** Cursors of every audit log: the id of the last entry seen (entries run newest first by id). */
export const AUDIT_CURSOR = cursorCodec('audit-entry', z.string().regex(/^[1-9][0-9]{0,18}$/));

interface AuditRow {
  id: string;
  tenant_id: string;
  occurred_at: Date;
  actor_type: AuditActorType;
  actor_id: string;
  on_behalf_of: string | null;
  action: string;
  target_type: string;
  target_id: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  details: Record<string, unknown> | null;
  request_id: string | null;
  client_address: string | null;
}

const toRecord = (r: AuditRow): AuditEntryRecord => ({
  id: String(r.id),
  tenantId: r.tenant_id,
  occurredAt: r.occurred_at,
  actorType: r.actor_type,
  actorId: r.actor_id,
  onBehalfOf: r.on_behalf_of,
  action: r.action,
  targetType: r.target_type,
  targetId: r.target_id,
  before: r.before,
  after: r.after,
  details: r.details,
  requestId: r.request_id,
  clientAddress: r.client_address,
});

/** Reads a service's `audit_entries`, one tenant at a time (its own: audit logs don't reach into child tenants). */
export class PgAuditReader {
  constructor(private readonly knex: Knex) {}

  /** Up to `limit` entries of `tenantId` matching `filter`, newest first, older than the entry `afterId` if given. */
  entries(tenantId: string, filter: AuditFilter, limit: number, afterId: string | null): Promise<AuditEntryRecord[]> {
    return withTenant(this.knex, tenantId, async (trx) => {
      const q = narrowed(trx<AuditRow>('audit_entries'), tenantId, filter).orderBy('id', 'desc').limit(limit);
      if (afterId) void q.where('id', '<', afterId);
      const rows = (await q.select('*')) as AuditRow[];
      return rows.map(toRecord);
    });
  }

  /**
   * One keyset window of `tenantId`'s entries matching `filter`, in list order (newest first), with
   * the extra row `connectionOf` reads "more" from: forwards older than the cursor's entry,
   * backwards newer than it.
   */
  page(tenantId: string, filter: AuditFilter, window: KeysetWindow<string>): Promise<AuditEntryRecord[]> {
    return withTenant(this.knex, tenantId, async (trx) => {
      const rows = await keysetPage<AuditRow, string>(narrowed(trx<AuditRow>('audit_entries').select('*'), tenantId, filter), window, BY_ID_DESC);
      return rows.map(toRecord);
    });
  }
}

/** Entries run newest first by id (a bigserial: the order they were written in). */
const BY_ID_DESC: KeysetOrder<string> = { columns: ['id'], types: ['bigint'], order: 'desc', values: (id) => [id] };

function narrowed<Q extends Knex.QueryBuilder>(q: Q, tenantId: string, filter: AuditFilter): Q {
  void q.where('tenant_id', tenantId);
  if (filter.action) void q.where('action', filter.action);
  if (filter.targetType) void q.where('target_type', filter.targetType);
  if (filter.targetId) void q.where('target_id', filter.targetId);
  if (filter.actorId) void q.where('actor_id', filter.actorId);
  if (filter.from) void q.where('occurred_at', '>=', filter.from);
  if (filter.to) void q.where('occurred_at', '<', filter.to);
  return q;
}
