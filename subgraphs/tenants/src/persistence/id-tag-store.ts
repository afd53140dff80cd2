import { IdTagEvents, type IdTagChanged } from '@evcs/events';
import { Knex, keysetPage, ReadScope, withTenant, withTenantScope } from '@evcs/platform';
import type { AuditEventInput, RequestMeta } from '../domain/audit';
import type { IdTagFields, IdTagFilter, IdTagPage, IdTagStore, IdTagTx } from '../domain/ports';
import { idTagKey, type IdTagPolicy, type IdTagRecord, type IdTagStatus } from '../domain/id-tag-rules';
import { appendAudit, tenantsOutbox } from './identity-store';

interface IdTagRow {
  id: string;
  tenant_id: string;
  value: string;
  status: string;
  expires_at: Date | null;
  parent_id_tag: string | null;
  user_id: string | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = ['id', 'tenant_id', 'value', 'status', 'expires_at', 'parent_id_tag', 'user_id', 'created_at', 'updated_at'];

const toRecord = (r: IdTagRow): IdTagRecord => ({
  id: r.id,
  tenantId: r.tenant_id,
  value: r.value,
  status: r.status as IdTagStatus,
  expiresAt: r.expires_at,
  parentIdTag: r.parent_id_tag,
  userId: r.user_id,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const isUniqueViolation = (e: unknown): boolean => (e as { code?: string }).code === '23505';

/** LIKE pattern for "contains", with the pattern characters of the search escaped. */
const contains = (s: string): string => `%${idTagKey(s).replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

function applyFilter(q: Knex.QueryBuilder, f: IdTagFilter): Knex.QueryBuilder {
  if (f.status) q.where('status', f.status);
  if (f.userId) q.where('user_id', f.userId);
  if (f.search) q.whereRaw("upper(value) like ? escape '\\'", [contains(f.search)]);
  return q;
}

/**
 * Id tags on Postgres. Every transaction sets the row-level-security tenant
 * (withTenant / withTenantScope) and every query names the tenant as well.
 */
export class PgIdTagStore implements IdTagStore {
  constructor(private readonly knex: Knex) {}

  inTenant<T>(tenantId: string, meta: RequestMeta, fn: (tx: IdTagTx) => Promise<T>): Promise<T> {
    return withTenant(this.knex, tenantId, (trx) => fn(new PgIdTagTx(trx, tenantId, meta)));
  }

  async list(scope: ReadScope, filter: IdTagFilter, page: IdTagPage): Promise<IdTagRecord[]> {
    const rows = await withTenantScope(this.knex, scope, (trx) => {
      const q = applyFilter(trx('tenants.id_tags').select(COLUMNS).whereIn('tenant_id', scope.tenantIds), filter);
      if (scope.selfSubject) q.where('user_id', scope.selfSubject);
      return keysetPage<IdTagRow, { tenantId: string; key: string }>(q, page, {
        columns: ['tenant_id', trx.raw('upper(value)')],
        types: ['uuid', null],
        order: 'asc',
        values: (k) => [k.tenantId, k.key],
      });
    });
    return rows.map(toRecord);
  }

  async byValue(scope: ReadScope, value: string): Promise<IdTagRecord | null> {
    // The caller's own tenant: a value names one tag per tenant.
    const row = await withTenantScope(this.knex, scope, (trx) => {
      const q = trx('tenants.id_tags')
        .select(COLUMNS)
        .where('tenant_id', scope.tenantId)
        .whereRaw('upper(value) = ?', [idTagKey(value)])
        .first();
      if (scope.selfSubject) q.where('user_id', scope.selfSubject);
      return q;
    });
    return row ? toRecord(row as IdTagRow) : null;
  }
}

class PgIdTagTx implements IdTagTx {
  constructor(
    private readonly trx: Knex.Transaction,
    readonly tenantId: string,
    private readonly meta: RequestMeta,
  ) {}

  audit(e: AuditEventInput): Promise<void> {
    return appendAudit(this.trx, this.tenantId, this.meta, e);
  }

  async lockTags(values: readonly string[], opts: { lock?: boolean } = {}): Promise<IdTagRecord[]> {
    if (values.length === 0) return [];
    const q = this.trx('tenants.id_tags')
      .select(COLUMNS)
      .where('tenant_id', this.tenantId)
      .whereRaw('upper(value) = any(?::text[])', [[...new Set(values.map(idTagKey))]])
      .orderBy('id');
    if (opts.lock !== false) q.forUpdate();
    return ((await q) as IdTagRow[]).map(toRecord);
  }

  async allTags(filter: IdTagFilter = {}): Promise<IdTagRecord[]> {
    const rows = await applyFilter(this.trx('tenants.id_tags').select(COLUMNS).where('tenant_id', this.tenantId), filter).orderByRaw('upper(value)');
    return (rows as IdTagRow[]).map(toRecord);
  }

  async insertTag(t: IdTagFields): Promise<IdTagRecord | 'duplicate'> {
    try {
      // A savepoint: a duplicate must not abort the caller's transaction.
      const [row] = await this.trx.transaction((sp) =>
        sp('tenants.id_tags')
          .insert({ tenant_id: this.tenantId, value: t.value, status: t.status, expires_at: t.expiresAt, parent_id_tag: t.parentIdTag, user_id: t.userId })
          .returning(COLUMNS),
      );
      return toRecord(row as IdTagRow);
    } catch (e) {
      if (isUniqueViolation(e)) return 'duplicate';
      throw e;
    }
  }

  async updateTag(id: string, t: Omit<IdTagFields, 'value'>): Promise<IdTagRecord> {
    const [row] = await this.trx('tenants.id_tags')
      .where({ id, tenant_id: this.tenantId })
      .update({ status: t.status, expires_at: t.expiresAt, parent_id_tag: t.parentIdTag, user_id: t.userId, updated_at: this.trx.fn.now() })
      .returning(COLUMNS);
    if (!row) throw new Error(`id tag ${id} vanished inside its own transaction`);
    return toRecord(row as IdTagRow);
  }

  async deleteTag(id: string): Promise<void> {
    await this.trx('tenants.id_tags').where({ id, tenant_id: this.tenantId }).delete();
  }

  async userIds(ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await this.trx('tenants.users')
      .select('id')
      .where('tenant_id', this.tenantId)
      .whereIn('id', [...ids]);
    return (rows as { id: string }[]).map((r) => r.id);
  }

  async policy(): Promise<IdTagPolicy> {
    const row = (await this.trx('tenants.id_tag_settings').select('free_vending', 'free_vending_station_ids').where('tenant_id', this.tenantId).first()) as
      { free_vending: boolean; free_vending_station_ids: string[] } | undefined;
    return row ? { freeVending: row.free_vending, freeVendingStationIds: row.free_vending_station_ids } : { freeVending: false, freeVendingStationIds: [] };
  }

  async setPolicy(p: IdTagPolicy): Promise<void> {
    await this.trx.raw(
      `insert into tenants.id_tag_settings (tenant_id, free_vending, free_vending_station_ids) values (?, ?, ?::uuid[])
       on conflict (tenant_id) do update set free_vending = excluded.free_vending, free_vending_station_ids = excluded.free_vending_station_ids, updated_at = now()`,
      [this.tenantId, p.freeVending, p.freeVendingStationIds],
    );
  }

  async raiseListVersion(by: number): Promise<number> {
    const r = await this.trx.raw<{ rows: { list_version: number }[] }>(
      `insert into tenants.id_tag_settings (tenant_id, list_version) values (?, ?)
       on conflict (tenant_id) do update set list_version = tenants.id_tag_settings.list_version + excluded.list_version, updated_at = now()
       returning list_version`,
      [this.tenantId, by],
    );
    return r.rows[0].list_version;
  }

  async listVersion(): Promise<number> {
    const row = (await this.trx('tenants.id_tag_settings').select('list_version').where('tenant_id', this.tenantId).first()) as
      { list_version: number } | undefined;
    return row?.list_version ?? 0;
  }

  async queueIdTagEvents(events: readonly IdTagChanged[]): Promise<void> {
    // Imports can be thousands of rows: insert in chunks well below Postgres' parameter limit.
    for (let i = 0; i < events.length; i += 500) await tenantsOutbox.enqueueAll(this.trx, IdTagEvents, events.slice(i, i + 500));
  }
}
