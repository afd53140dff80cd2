import type { Knex } from 'knex';
import type { ReadScope } from '../authz';
import type { KeysetWindow } from '../cursor';
import { keysetPage, type KeysetOrder } from '../db/keyset';
import { withTenant, withTenantScope } from '../db/tenant-scope';

/** Set (transaction-local) by the store where rows without a tenant may be read or written; see createDeadLetters. */
export const UNATTRIBUTED_SETTING = 'app.dead_letters_unattributed';

export type DeadLetterStatus = 'DEAD' | 'REPLAYED';

/** A message as it was received, with why it can never be handled. */
export interface NewDeadLetter {
  /** the tenant the message names; null when it names none we could read ("unattributed") */
  tenantId: string | null;
  consumer: string;
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  headers: Record<string, string>;
  payload: Buffer | null;
  reasonCode: string;
  reasonMessage: string;
}

export interface DeadLetterRecord extends NewDeadLetter {
  id: string;
  attempts: number;
  firstSeenAt: Date;
  lastSeenAt: Date;
  status: DeadLetterStatus;
  replayedAt: Date | null;
  replayedBy: string | null;
}

export interface DeadLetterFilter {
  status?: DeadLetterStatus | null;
  consumer?: string | null;
  reasonCode?: string | null;
  tenantId?: string | null;
}

/** Newest first: (firstSeenAt, id) descending; the key's `t` is firstSeenAt (ISO). */
export type DeadLetterPage = KeysetWindow<DeadLetterKey>;
type DeadLetterKey = { t: string; id: string };
const NEWEST_FIRST: KeysetOrder<DeadLetterKey> = {
  columns: ['first_seen_at', 'id'],
  types: ['timestamptz', 'uuid'],
  order: 'desc',
  values: (k) => [k.t, k.id],
};

/** What a replay does to its locked dead letter. */
export interface LockedDeadLetter {
  row: DeadLetterRecord;
  markReplayed(by: string): Promise<DeadLetterRecord>;
  /** It failed again, for good: the new reason, one more attempt. */
  failedAgain(reasonCode: string, reasonMessage: string): Promise<DeadLetterRecord>;
}

/** The dead letters as the recorder and the replay see them (PgDeadLetterStore). */
export interface DeadLetterStore {
  /** Insert, or count one more sighting of the same message. `fresh`: first sighting; `published`: on the dead-letter topic already. */
  record(d: NewDeadLetter): Promise<{ id: string; fresh: boolean; published: boolean }>;
  markPublished(tenantId: string | null, id: string): Promise<void>;
  list(scope: ReadScope, filter: DeadLetterFilter, page: DeadLetterPage): Promise<DeadLetterRecord[]>;
  get(scope: ReadScope, id: string): Promise<DeadLetterRecord | null>;
  /** Run `fn` with the row locked (in its own tenant); 'busy' if another replay holds it, 'missing' if it is gone. */
  locked<T>(tenantId: string | null, id: string, fn: (d: LockedDeadLetter) => Promise<T>): Promise<T | 'busy' | 'missing'>;
}

interface Row {
  id: string;
  tenant_id: string | null;
  consumer: string;
  topic: string;
  kafka_partition: number;
  kafka_offset: string;
  key: string | null;
  headers: Record<string, string>;
  payload: Buffer | null;
  reason_code: string;
  reason_message: string;
  attempts: number;
  first_seen_at: Date;
  last_seen_at: Date;
  status: DeadLetterStatus;
  replayed_at: Date | null;
  replayed_by: string | null;
}

const toRecord = (r: Row): DeadLetterRecord => ({
  id: r.id,
  tenantId: r.tenant_id,
  consumer: r.consumer,
  topic: r.topic,
  partition: r.kafka_partition,
  offset: String(r.kafka_offset),
  key: r.key,
  headers: r.headers,
  payload: r.payload,
  reasonCode: r.reason_code,
  reasonMessage: r.reason_message,
  attempts: r.attempts,
  firstSeenAt: r.first_seen_at,
  lastSeenAt: r.last_seen_at,
  status: r.status,
  replayedAt: r.replayed_at,
  replayedBy: r.replayed_by,
});

const COLUMNS = [
  'id',
  'tenant_id',
  'consumer',
  'topic',
  'kafka_partition',
  'kafka_offset',
  'key',
  'headers',
  'payload',
  'reason_code',
  'reason_message',
  'attempts',
  'first_seen_at',
  'last_seen_at',
  'status',
  'replayed_at',
  'replayed_by',
];

const SCHEMA = /^[a-z_][a-z0-9_]*$/;
const LOCK_NOT_AVAILABLE = '55P03';
// Postgres text and jsonb refuse NUL: a header or key carrying one would make the dead letter unrecordable (and retried forever).
const noNul = (v: string): string => v.replace(/\u0000/g, '');

/** `<schema>.dead_letters` (createDeadLetters), under row-level security. */
export class PgDeadLetterStore implements DeadLetterStore {
  private readonly table: string;

  constructor(
    private readonly knex: Knex,
    schema: string,
  ) {
    if (!SCHEMA.test(schema)) throw new Error(`PgDeadLetterStore: not a schema name: ${schema}`);
    this.table = `${schema}.dead_letters`;
  }

  /** A transaction of the row's own tenant, or one that may touch unattributed rows. */
  private inOwnTenant<T>(tenantId: string | null, fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    if (tenantId) return withTenant(this.knex, tenantId, fn);
    return this.knex.transaction(async (trx) => {
      await trx.raw('select set_config(?, ?, true)', [UNATTRIBUTED_SETTING, 'on']);
      return fn(trx);
    });
  }

  /** A reader's transaction: the tenants of its scope, and the unattributed rows (readers here hold event:replay). */
  private asReader<T>(scope: ReadScope, fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    return withTenantScope(this.knex, scope, async (trx) => {
      await trx.raw('select set_config(?, ?, true)', [UNATTRIBUTED_SETTING, 'on']);
      return fn(trx);
    });
  }

  record(d: NewDeadLetter): Promise<{ id: string; fresh: boolean; published: boolean }> {
    return this.inOwnTenant(d.tenantId, async (trx) => {
      // xmax = 0: the row was inserted by this statement, not updated.
      const { rows } = await trx.raw<{ rows: { id: string; fresh: boolean; published: boolean }[] }>(
        // first_seen_at to the millisecond: it is the list's cursor key, and a cursor (a JS Date) keeps
        // milliseconds — microseconds would repeat or skip dead letters of one millisecond across pages
        `insert into ${this.table} as d (tenant_id, consumer, topic, kafka_partition, kafka_offset, key, headers, payload, reason_code, reason_message, first_seen_at)
         values (?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, date_trunc('milliseconds', now()))
         on conflict (consumer, topic, kafka_partition, kafka_offset) do update
           set attempts = d.attempts + 1, last_seen_at = now(), reason_code = excluded.reason_code, reason_message = excluded.reason_message
         returning d.id, (d.xmax = 0) as fresh, (d.published_at is not null) as published`,
        [
          d.tenantId,
          d.consumer,
          d.topic,
          d.partition,
          d.offset,
          d.key === null ? null : noNul(d.key),
          JSON.stringify(Object.fromEntries(Object.entries(d.headers).map(([k, v]) => [noNul(k), noNul(v)]))),
          d.payload,
          d.reasonCode,
          noNul(d.reasonMessage),
        ],
      );
      return rows[0];
    });
  }

  async markPublished(tenantId: string | null, id: string): Promise<void> {
    await this.inOwnTenant(tenantId, (trx) => trx(this.table).where({ id }).whereNull('published_at').update({ published_at: trx.fn.now() }));
  }

  list(scope: ReadScope, filter: DeadLetterFilter, page: DeadLetterPage): Promise<DeadLetterRecord[]> {
    return this.asReader(scope, async (trx) => {
      const q = trx(this.table).select(COLUMNS);
      if (filter.status) q.where('status', filter.status);
      if (filter.consumer) q.where('consumer', filter.consumer);
      if (filter.reasonCode) q.where('reason_code', filter.reasonCode);
      if (filter.tenantId) q.where('tenant_id', filter.tenantId);
      return (await keysetPage<Row, DeadLetterKey>(q, page, NEWEST_FIRST)).map(toRecord);
    });
  }

  get(scope: ReadScope, id: string): Promise<DeadLetterRecord | null> {
    return this.asReader(scope, async (trx) => {
      const row = (await trx(this.table).select(COLUMNS).where({ id }).first()) as Row | undefined;
      return row ? toRecord(row) : null;
    });
  }

  async locked<T>(tenantId: string | null, id: string, fn: (d: LockedDeadLetter) => Promise<T>): Promise<T | 'busy' | 'missing'> {
    try {
      return await this.inOwnTenant(tenantId, async (trx) => {
        const row = (await trx(this.table).select(COLUMNS).where({ id }).forUpdate().noWait().first()) as Row | undefined;
        if (!row) return 'missing' as const;
        const update = async (patch: Record<string, unknown>) => toRecord(((await trx(this.table).where({ id }).update(patch).returning(COLUMNS)) as Row[])[0]);
        return fn({
          row: toRecord(row),
          markReplayed: (by) => update({ status: 'REPLAYED', replayed_at: trx.fn.now(), replayed_by: by }),
          failedAgain: (reasonCode, reasonMessage) =>
            update({ reason_code: reasonCode, reason_message: reasonMessage, attempts: trx.raw('attempts + 1'), last_seen_at: trx.fn.now() }),
        });
      });
    } catch (e) {
      if ((e as { code?: string }).code === LOCK_NOT_AVAILABLE) return 'busy';
      throw e;
    }
  }
}
