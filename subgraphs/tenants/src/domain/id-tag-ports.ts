import type { IdTagChanged } from '@evcs/events';
import type { ReadScope } from '@evcs/platform';
import type { AuditEventInput, RequestMeta } from './audit';
import type { IdTagPolicy, IdTagRecord, IdTagStatus } from './id-tag-rules';

export interface IdTagFilter {
  status?: IdTagStatus;
  userId?: string;
  /** part of the value, regardless of case */
  search?: string;
}

/** Keyset page over (tenant, value regardless of case). */
export interface IdTagPage {
  after?: { tenantId: string; key: string };
  limit: number;
}

export interface IdTagFields {
  value: string;
  status: IdTagStatus;
  expiresAt: Date | null;
  parentIdTag: string | null;
  userId: string | null;
}

/**
 * Storage of the id-token authority. Writes run in one tenant's transaction
 * (row-level security underneath); reads take the caller's read scope.
 */
export interface IdTagStore {
  inTenant<T>(tenantId: string, meta: RequestMeta, fn: (tx: IdTagTx) => Promise<T>): Promise<T>;
  list(scope: ReadScope, filter: IdTagFilter, page: IdTagPage): Promise<IdTagRecord[]>;
  byValue(scope: ReadScope, value: string): Promise<IdTagRecord | null>;
}

export interface IdTagTx {
  readonly tenantId: string;
  audit(event: AuditEventInput): Promise<void>;
  /** This tenant's tags with these values (regardless of case), locked until commit unless `lock` is false. */
  lockTags(values: readonly string[], opts?: { lock?: boolean }): Promise<IdTagRecord[]>;
  /** Every tag of this tenant, by value. */
  allTags(filter?: IdTagFilter): Promise<IdTagRecord[]>;
  /** 'duplicate': the value (regardless of case) is taken. */
  insertTag(t: IdTagFields): Promise<IdTagRecord | 'duplicate'>;
  updateTag(id: string, t: Omit<IdTagFields, 'value'>): Promise<IdTagRecord>;
  deleteTag(id: string): Promise<void>;
  /** The ids among `ids` of this tenant's users. */
  userIds(ids: readonly string[]): Promise<string[]>;
  policy(): Promise<IdTagPolicy>;
  setPolicy(p: IdTagPolicy): Promise<void>;
  /**
   * Raise the tenant's local-list version by `by` (locking its settings row
   * until commit, so concurrent changes number one after the other) and return
   * the new version.
   */
  raiseListVersion(by: number): Promise<number>;
  listVersion(): Promise<number>;
  /** Queue id-tag events in this transaction (outbox); published after commit. */
  queueIdTagEvents(events: readonly IdTagChanged[]): Promise<void>;
}
