import { randomUUID } from 'node:crypto';
import type { IdTagChanged, LocalAuthEntry } from '@evcs/events';
import { ForbiddenError, isUuid, type Permission, type ReadScope } from '@evcs/platform';
import { Actor, actorUserId } from './access';
import type { RequestMeta } from './audit';
import type { Clock } from './clock';
import type { IdTagFields, IdTagFilter, IdTagPage, IdTagStore, IdTagTx } from './ports';
import {
  Authorization,
  authorize,
  checkIdTag,
  exportCsv,
  ID_TAG_STATUSES,
  IdTagPolicy,
  IdTagRecord,
  IdTagStatus,
  idTagKey,
  ImportRow,
  ImportRowInput,
  localListStatus,
  parseImportCsv,
  validateImportRows,
} from './id-tag-rules';
import { UserErrorCodes } from './error-codes';
import { fail, failAll, ok, type Outcome, type UserError } from '@evcs/platform';
import { checkUuids } from './rules';

export interface CreateIdTagInput {
  value: string;
  status?: string | null;
  expiresAt?: Date | null;
  parentIdTag?: string | null;
  userId?: string | null;
}

/** Fields left undefined keep their value; null clears expiry, parent and user. */
export interface UpdateIdTagInput {
  value: string;
  status?: string | null;
  expiresAt?: Date | null;
  parentIdTag?: string | null;
  userId?: string | null;
}

export interface ImportResult {
  created: number;
  updated: number;
  unchanged: number;
}

export interface LocalAuthList {
  version: number;
  entries: LocalAuthEntry[];
}

function permissionOf(actor: Actor, permission: Permission): void {
  if (!actor.permissions.includes(permission)) throw new ForbiddenError(`missing permission ${permission}`);
}

/** What the audit log records of a tag: never more than an operator sees. */
const snapshot = (t: Pick<IdTagRecord, 'status' | 'expiresAt' | 'parentIdTag' | 'userId'>) => ({
  status: t.status,
  expiresAt: t.expiresAt ? t.expiresAt.toISOString() : null,
  parentIdTag: t.parentIdTag,
  userId: t.userId,
});

const same = (a: Omit<IdTagFields, 'value'>, b: Omit<IdTagFields, 'value'>): boolean =>
  a.status === b.status && (a.expiresAt?.getTime() ?? null) === (b.expiresAt?.getTime() ?? null) && a.parentIdTag === b.parentIdTag && a.userId === b.userId;

export function localEntry(t: IdTagRecord): LocalAuthEntry {
  return {
    idTag: t.value,
    status: localListStatus(t),
    ...(t.expiresAt ? { expiryDate: t.expiresAt.toISOString() } : {}),
    ...(t.parentIdTag ? { parentIdTag: t.parentIdTag } : {}),
  };
}

/**
 * The tenant's id-token authority: RFID cards and app tokens, who they belong
 * to, and what a charger is told when one is presented. Every change is
 * audited and raises the tenant's local-list version, with one `idtag.changed`
 * event per tag in the same transaction (the bridges keep chargers' offline
 * lists in step from them).
 *
 * Imports are all-or-nothing: every row is validated first and every problem
 * reported (`rows[i].field`); nothing is written unless all rows are good.
 */
export class IdTagService {
  constructor(
    private readonly store: IdTagStore,
    private readonly clock: Clock,
  ) {}

  list(scope: ReadScope, filter: IdTagFilter, page: IdTagPage): Promise<IdTagRecord[]> {
    if (scope.scope === 'ASSIGNED_STATIONS') return Promise.resolve([]);
    return this.store.list(scope, filter, page);
  }

  async get(scope: ReadScope, value: string): Promise<IdTagRecord | null> {
    if (scope.scope === 'ASSIGNED_STATIONS' || checkIdTag(value, 'value').length) return null;
    return this.store.byValue(scope, value);
  }

  async create(actor: Actor, input: CreateIdTagInput, meta: RequestMeta): Promise<Outcome<IdTagRecord>> {
    permissionOf(actor, 'idtag:write');
    const value = input.value.trim();
    const status = (input.status ?? 'ACCEPTED') as IdTagStatus;
    const errors = [...checkIdTag(value, 'value'), ...this.checkFields({ status, parentIdTag: input.parentIdTag ?? null, userId: input.userId ?? null })];
    if (errors.length) return failAll(errors);
    const fields: IdTagFields = {
      value,
      status,
      expiresAt: input.expiresAt ?? null,
      parentIdTag: input.parentIdTag?.trim() || null,
      userId: input.userId?.toLowerCase() ?? null,
    };
    return this.store.inTenant(actor.tenantId, meta, async (tx) => {
      const userError = await this.checkUser(tx, fields.userId, 'userId');
      if (userError) return failAll<IdTagRecord>([userError]);
      const tag = await tx.insertTag(fields);
      if (tag === 'duplicate')
        return fail<IdTagRecord>(UserErrorCodes.DUPLICATE, 'value', 'This tenant has a tag with this value (tags compare regardless of case)');
      await tx.audit({
        type: 'ID_TAG_CREATED',
        actorUserId: actorUserId(actor),
        actorTenantId: actor.tenantId,
        details: { idTagId: tag.id, value: tag.value, before: null, after: snapshot(tag) },
      });
      await this.announce(tx, [{ value: tag.value, tag }]);
      return ok(tag);
    });
  }

  async update(actor: Actor, input: UpdateIdTagInput, meta: RequestMeta): Promise<Outcome<IdTagRecord>> {
    permissionOf(actor, 'idtag:write');
    const errors = [
      ...checkIdTag(input.value, 'value'),
      ...this.checkFields({ status: input.status ?? undefined, parentIdTag: input.parentIdTag ?? null, userId: input.userId ?? null }),
    ];
    if (errors.length) return failAll(errors);
    return this.store.inTenant(actor.tenantId, meta, async (tx) => {
      const [before] = await tx.lockTags([input.value]);
      if (!before) return fail<IdTagRecord>(UserErrorCodes.NOT_FOUND, 'value', 'Unknown id tag');
      const after: Omit<IdTagFields, 'value'> = {
        status: (input.status ?? before.status) as IdTagStatus,
        expiresAt: input.expiresAt === undefined ? before.expiresAt : input.expiresAt,
        parentIdTag: input.parentIdTag === undefined ? before.parentIdTag : input.parentIdTag?.trim() || null,
        userId: input.userId === undefined ? before.userId : (input.userId?.toLowerCase() ?? null),
      };
      if (same(before, after)) return ok(before);
      if (after.userId !== before.userId) {
        const userError = await this.checkUser(tx, after.userId, 'userId');
        if (userError) return failAll<IdTagRecord>([userError]);
      }
      const tag = await tx.updateTag(before.id, after);
      await tx.audit({
        type: 'ID_TAG_UPDATED',
        actorUserId: actorUserId(actor),
        actorTenantId: actor.tenantId,
        details: { idTagId: tag.id, value: tag.value, before: snapshot(before), after: snapshot(tag) },
      });
      await this.announce(tx, [{ value: tag.value, tag }]);
      return ok(tag);
    });
  }

  /** Delete a tag: it becomes unknown (Invalid, or accepted at a free-vending station). To refuse a card everywhere, block it instead. */
  async delete(actor: Actor, value: string, meta: RequestMeta): Promise<Outcome<IdTagRecord>> {
    permissionOf(actor, 'idtag:write');
    const errors = checkIdTag(value, 'value');
    if (errors.length) return failAll(errors);
    return this.store.inTenant(actor.tenantId, meta, async (tx) => {
      const [before] = await tx.lockTags([value]);
      if (!before) return fail<IdTagRecord>(UserErrorCodes.NOT_FOUND, 'value', 'Unknown id tag');
      await tx.deleteTag(before.id);
      await tx.audit({
        type: 'ID_TAG_DELETED',
        actorUserId: actorUserId(actor),
        actorTenantId: actor.tenantId,
        details: { idTagId: before.id, value: before.value, before: snapshot(before), after: null },
      });
      await this.announce(tx, [{ value: before.value, tag: null }]);
      return ok(before);
    });
  }

  /** Create or update many tags at once (a value already registered is updated), all or nothing. */
  async import(actor: Actor, input: { csv?: string | null; rows?: readonly ImportRowInput[] | null }, meta: RequestMeta): Promise<Outcome<ImportResult>> {
    permissionOf(actor, 'idtag:write');
    if ((input.csv == null) === (input.rows == null)) return fail(UserErrorCodes.INVALID_INPUT, null, 'Give either csv or rows');
    let given: ImportRowInput[];
    if (input.csv != null) {
      const parsed = parseImportCsv(input.csv);
      if (parsed.errors.some((e) => e.field === 'csv')) return failAll(parsed.errors);
      given = parsed.rows;
      const { rows, errors } = validateImportRows(given);
      // A row with the wrong field count is reported once, not again as an empty value.
      const broken = new Set(parsed.errors.map((e) => e.field));
      const all = [...parsed.errors, ...errors.filter((e) => !broken.has(e.field?.replace(/\.\w+$/, '') ?? null))];
      if (all.length) return failAll(all);
      return this.write(actor, rows, meta);
    }
    given = [...(input.rows ?? [])];
    const { rows, errors } = validateImportRows(given);
    if (errors.length) return failAll(errors);
    return this.write(actor, rows, meta);
  }

  private write(actor: Actor, rows: ImportRow[], meta: RequestMeta): Promise<Outcome<ImportResult>> {
    return this.store.inTenant(actor.tenantId, meta, async (tx) => {
      const wanted = [...new Set(rows.flatMap((r) => (r.userId ? [r.userId] : [])))];
      const known = new Set(wanted.length ? await tx.userIds(wanted) : []);
      const userErrors = unknownUserErrors(rows, known);
      if (userErrors.length) return failAll<ImportResult>(userErrors);
      const existing = new Map((await tx.lockTags(rows.map((r) => r.value))).map((t) => [idTagKey(t.value), t]));
      const by = { actorUserId: actorUserId(actor), actorTenantId: actor.tenantId };
      const changed: { value: string; tag: IdTagRecord }[] = [];
      const result: ImportResult = { created: 0, updated: 0, unchanged: 0 };
      for (const given of rows) {
        const before = existing.get(idTagKey(given.value));
        const r = mergedFields(given, before);
        if (before && same(before, r)) {
          result.unchanged++;
          continue;
        }
        const tag = before ? await tx.updateTag(before.id, r) : await tx.insertTag(r);
        if (tag === 'duplicate') throw new Error('an id tag locked as absent was inserted concurrently');
        await tx.audit({
          type: before ? 'ID_TAG_UPDATED' : 'ID_TAG_CREATED',
          ...by,
          details: { idTagId: tag.id, value: tag.value, before: before ? snapshot(before) : null, after: snapshot(tag), via: 'IMPORT' },
        });
        changed.push({ value: tag.value, tag });
        if (before) result.updated++;
        else result.created++;
      }
      await tx.audit({ type: 'ID_TAGS_IMPORTED', ...by, details: { rows: rows.length, ...result } });
      await this.announce(tx, changed);
      return ok(result);
    });
  }

  /** The tenant's tags as CSV (the import's format). Exporting personal data is audited. */
  async export(actor: Actor, filter: IdTagFilter, meta: RequestMeta): Promise<{ csv: string; count: number }> {
    permissionOf(actor, 'idtag:read');
    if (actor.kind === 'user' && actor.dataScope !== 'TENANT' && actor.dataScope !== 'TENANT_AND_CHILDREN' && actor.dataScope !== 'ALL') {
      throw new ForbiddenError('exporting id tags needs a tenant-wide data scope');
    }
    return this.store.inTenant(actor.tenantId, meta, async (tx) => {
      const tags = await tx.allTags(filter);
      await tx.audit({ type: 'ID_TAGS_EXPORTED', actorUserId: actorUserId(actor), actorTenantId: actor.tenantId, details: { count: tags.length, filter } });
      return { csv: exportCsv(tags), count: tags.length };
    });
  }

  async policy(actor: Actor, meta: RequestMeta): Promise<IdTagPolicy> {
    permissionOf(actor, 'idtag:read');
    return this.store.inTenant(actor.tenantId, meta, (tx) => tx.policy());
  }

  async setPolicy(actor: Actor, input: IdTagPolicy, meta: RequestMeta): Promise<Outcome<IdTagPolicy>> {
    permissionOf(actor, 'idtag:write');
    const stationIds = [...new Set(input.freeVendingStationIds.map((s) => s.toLowerCase()))].sort();
    const errors = checkUuids(stationIds, 'freeVendingStationIds');
    if (errors.length) return failAll(errors);
    const after: IdTagPolicy = { freeVending: input.freeVending, freeVendingStationIds: stationIds };
    return this.store.inTenant(actor.tenantId, meta, async (tx) => {
      const before = await tx.policy();
      await tx.setPolicy(after);
      await tx.audit({ type: 'ID_TAG_POLICY_CHANGED', actorUserId: actorUserId(actor), actorTenantId: actor.tenantId, details: { before, after } });
      return ok(after);
    });
  }

  /** For platform services (the protocol bridge): what a charger of `tenantId` is told for `idTag`. */
  async authorize(tenantId: string, idTag: string, stationId: string | null): Promise<Authorization> {
    if (!isIdTag(idTag)) return { status: 'Invalid', expiryDate: null, parentIdTag: null, userId: null, freeVending: false };
    return this.store.inTenant(tenantId, {}, async (tx) => {
      const [[tag], policy] = await Promise.all([tx.lockTags([idTag], { lock: false }), tx.policy()]);
      return authorize(tag ?? null, policy, stationId && isUuid(stationId) ? stationId.toLowerCase() : null, this.clock.now());
    });
  }

  /** For platform services: the tenant's whole local authorization list and its version. */
  localList(tenantId: string): Promise<LocalAuthList> {
    return this.store.inTenant(tenantId, {}, async (tx) => {
      const [version, tags] = await Promise.all([tx.listVersion(), tx.allTags()]);
      return { version, entries: tags.map(localEntry) };
    });
  }

  private checkFields(f: { status?: string; parentIdTag: string | null; userId: string | null }): UserError[] {
    const errors: UserError[] = [];
    if (f.status !== undefined && !(ID_TAG_STATUSES as readonly string[]).includes(f.status)) {
      errors.push({ code: UserErrorCodes.INVALID_INPUT, field: 'status', message: `Status is one of ${ID_TAG_STATUSES.join(', ')}` });
    }
    if (f.parentIdTag?.trim()) errors.push(...checkIdTag(f.parentIdTag.trim(), 'parentIdTag'));
    if (f.userId && !isUuid(f.userId.toLowerCase())) errors.push({ code: UserErrorCodes.INVALID_INPUT, field: 'userId', message: 'A user id (UUID)' });
    return errors;
  }

  private async checkUser(tx: IdTagTx, userId: string | null, field: string): Promise<UserError | null> {
    if (!userId) return null;
    const [found] = await tx.userIds([userId]);
    return found ? null : { code: UserErrorCodes.NOT_FOUND, field, message: 'Not a user of this tenant' };
  }

  /** Number the changes on the tenant's local-list version and queue one event each. */
  private async announce(tx: IdTagTx, changes: readonly { value: string; tag: IdTagRecord | null }[]): Promise<void> {
    if (changes.length === 0) return;
    const last = await tx.raiseListVersion(changes.length);
    const first = last - changes.length + 1;
    const occurredAt = this.clock.now().toISOString();
    await tx.queueIdTagEvents(
      changes.map((c, i): IdTagChanged => ({
        id: randomUUID(),
        type: 'idtag.changed',
        version: 1,
        tenantId: tx.tenantId,
        occurredAt,
        data: { idTag: c.value, entry: c.tag ? localEntry(c.tag) : null, listVersion: first + i },
      })),
    );
  }
}

const isIdTag = (v: string): boolean => checkIdTag(v, 'idTag').length === 0;

/** A column the import doesn't name keeps what the registered tag holds. */
function mergedFields(given: ImportRow, before: IdTagRecord | undefined): IdTagFields {
  return {
    value: given.value,
    status: given.status ?? before?.status ?? 'ACCEPTED',
    expiresAt: given.expiresAt !== undefined ? given.expiresAt : (before?.expiresAt ?? null),
    parentIdTag: given.parentIdTag !== undefined ? given.parentIdTag : (before?.parentIdTag ?? null),
    userId: given.userId !== undefined ? given.userId : (before?.userId ?? null),
  };
}

function unknownUserErrors(rows: readonly ImportRow[], known: ReadonlySet<string>): UserError[] {
  const errors: UserError[] = [];
  rows.forEach((r, i) => {
    if (r.userId && !known.has(r.userId)) errors.push({ code: UserErrorCodes.NOT_FOUND, field: `rows[${i}].userId`, message: 'Not a user of this tenant' });
  });
  return errors;
}
