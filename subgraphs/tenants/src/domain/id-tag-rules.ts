import { isUuid, parseInput, userIssue, zodUserErrors, type UserError } from '@evcs/platform';
import { z } from 'zod';
import { UserErrorCodes } from './error-codes';

/**
 * Id tags: the values, statuses and answers of the tenant's id-token authority,
 * and the CSV form they are imported and exported in. Pure functions.
 */

export const ID_TAG_STATUSES = ['ACCEPTED', 'BLOCKED', 'EXPIRED'] as const;
export type IdTagStatus = (typeof ID_TAG_STATUSES)[number];

/** OCPP 1.6 AuthorizationStatus: what a charger is told. */
export type AuthorizationStatus = 'Accepted' | 'Blocked' | 'Expired' | 'Invalid' | 'ConcurrentTx';

export interface IdTagRecord {
  id: string;
  tenantId: string;
  value: string;
  status: IdTagStatus;
  expiresAt: Date | null;
  parentIdTag: string | null;
  userId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface IdTagPolicy {
  /** Unknown tags are accepted: at every station, or (when stationIds is not empty) only at these. */
  freeVending: boolean;
  freeVendingStationIds: string[];
}
export const NO_FREE_VENDING: IdTagPolicy = { freeVending: false, freeVendingStationIds: [] };

/** The authority's answer, OCPP IdTagInfo plus whose tag it is. */
export interface Authorization {
  status: AuthorizationStatus;
  expiryDate: Date | null;
  parentIdTag: string | null;
  userId: string | null;
  /** Accepted only because the station is free-vending (the tag is unknown). */
  freeVending: boolean;
}

/** OCPP IdToken: CiString20. Printable ASCII without spaces: what card readers and apps send. */
const ID_TAG = /^[!-~]{1,20}$/;
export const isIdTag = (v: string): boolean => ID_TAG.test(v);
/** The key tags are compared by: OCPP says CiString, case-insensitive. */
export const idTagKey = (v: string): string => v.toUpperCase();

const ID_TAG_RULE = 'An id tag is 1–20 printable ASCII characters without spaces';
const INVALID = { required: UserErrorCodes.INVALID_INPUT, invalid: UserErrorCodes.INVALID_INPUT };
const idTag = z.string().regex(ID_TAG, ID_TAG_RULE);

export function checkIdTag(value: string, field: string): UserError[] {
  const r = parseInput(idTag, value, { codes: INVALID, prefix: [field] });
  return r.ok ? [] : r.errors;
}

/**
 * What a charger is told for `idTag`. An unknown tag is Invalid unless the
 * station is free-vending; a known tag answers its own status, whatever the
 * policy (a blocked card stays blocked at a free-vending station). A tag past
 * its expiry is Expired even while its status still says ACCEPTED.
 */
export function authorize(tag: IdTagRecord | null, policy: IdTagPolicy, stationId: string | null, now: Date): Authorization {
  if (!tag) {
    const free = policy.freeVending && (policy.freeVendingStationIds.length === 0 || (stationId !== null && policy.freeVendingStationIds.includes(stationId)));
    return { status: free ? 'Accepted' : 'Invalid', expiryDate: null, parentIdTag: null, userId: null, freeVending: free };
  }
  const expired = tag.status === 'EXPIRED' || (tag.expiresAt !== null && tag.expiresAt.getTime() <= now.getTime());
  const status: AuthorizationStatus = tag.status === 'BLOCKED' ? 'Blocked' : expired ? 'Expired' : 'Accepted';
  return { status, expiryDate: tag.expiresAt, parentIdTag: tag.parentIdTag, userId: tag.userId, freeVending: false };
}

/** A charger's local-list entry for a tag (the charger applies the expiry itself). */
export function localListStatus(tag: Pick<IdTagRecord, 'status'>): AuthorizationStatus {
  return tag.status === 'BLOCKED' ? 'Blocked' : tag.status === 'EXPIRED' ? 'Expired' : 'Accepted';
}

// ---- import / export ---------------------------------------------------------------------

/**
 * One tag of an import, as given (strings), before validation. A field left
 * out (undefined) keeps a registered tag's value (a new tag gets the default);
 * null clears it.
 */
export interface ImportRowInput {
  value: string;
  status?: string | null;
  expiresAt?: string | null;
  parentIdTag?: string | null;
  userId?: string | null;
}

/** A validated row; undefined fields keep what is registered (or take the default for a new tag). */
export interface ImportRow {
  value: string;
  status?: IdTagStatus;
  expiresAt?: Date | null;
  parentIdTag?: string | null;
  userId?: string | null;
}

export const MAX_IMPORT_ROWS = 5000;
export const CSV_COLUMNS = ['value', 'status', 'expiresAt', 'parentIdTag', 'userId'] as const;
const ISO_ZONED = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * RFC 4180 records: fields separated by commas, quoted with double quotes when
 * they hold a comma, quote or line break ("" is a quote inside a quoted field);
 * CRLF or LF line ends. Returns null for text that is not valid CSV (a quote
 * left open, text after a closing quote).
 */
export function parseCsvRecords(text: string): string[][] | null {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let i = 0;
  let wasQuoted = false;
  const endField = () => {
    record.push(wasQuoted ? field : field.trim());
    field = '';
    wasQuoted = false;
  };
  while (i < text.length) {
    const c = text[i];
    if (c === '"' && field.trim() === '') {
      const q = quotedField(text, i);
      if (!q) return null;
      field = q.field;
      wasQuoted = true;
      i = q.end;
    } else if (c === ',') {
      endField();
      i++;
    } else if (c === '\n' || c === '\r') {
      endField();
      records.push(record);
      record = [];
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
    } else {
      field += c;
      i++;
    }
  }
  if (field !== '' || wasQuoted || record.length) {
    endField();
    records.push(record);
  }
  // Blank lines carry nothing.
  return records.filter((r) => !(r.length === 1 && r[0] === ''));
}

/**
 * The quoted field whose opening quote is at text[open]: its content and the index after
 * its closing quote; null when the quote is never closed or text follows the closing quote.
 */
function quotedField(text: string, open: number): { field: string; end: number } | null {
  let field = '';
  let i = open + 1;
  while (i < text.length) {
    if (text[i] !== '"') {
      field += text[i];
      i++;
    } else if (text[i + 1] === '"') {
      field += '"';
      i += 2;
    } else {
      const end = i + 1;
      // After a closing quote only a separator, a line end or the end may follow.
      return end >= text.length || FIELD_ENDS.has(text[end]) ? { field, end } : null;
    }
  }
  return null;
}

const FIELD_ENDS = new Set([',', '\n', '\r']);

/**
 * An import in CSV: a header line naming the columns (`value` required;
 * `status`, `expiresAt`, `parentIdTag`, `userId` optional, any order), then one
 * tag per line. A column the header doesn't name keeps what registered tags
 * hold; an empty cell clears it (status: ACCEPTED). Errors point at the header
 * (`csv`) or at a row (`rows[<0-based data row>].<column>`), as the list
 * input's would.
 */
export function parseImportCsv(text: string): { rows: ImportRowInput[]; errors: UserError[] } {
  const records = parseCsvRecords(text);
  if (!records)
    return {
      rows: [],
      errors: [{ code: UserErrorCodes.INVALID_INPUT, field: 'csv', message: 'Not valid CSV (a quote is not closed, or text follows a closing quote)' }],
    };
  if (records.length === 0) return { rows: [], errors: [{ code: UserErrorCodes.INVALID_INPUT, field: 'csv', message: 'The CSV has no header line' }] };
  const header = records[0].map((h) => h.trim());
  const errors: UserError[] = [];
  const unknown = header.filter((h) => !(CSV_COLUMNS as readonly string[]).includes(h));
  if (unknown.length)
    errors.push({ code: UserErrorCodes.INVALID_INPUT, field: 'csv', message: `Unknown column(s): ${unknown.join(', ')} (known: ${CSV_COLUMNS.join(', ')})` });
  const dup = header.filter((h, i) => header.indexOf(h) !== i);
  if (dup.length) errors.push({ code: UserErrorCodes.INVALID_INPUT, field: 'csv', message: `Column(s) named twice: ${[...new Set(dup)].join(', ')}` });
  if (!header.includes('value')) errors.push({ code: UserErrorCodes.INVALID_INPUT, field: 'csv', message: 'The header must name a "value" column' });
  if (errors.length) return { rows: [], errors };
  const rows: ImportRowInput[] = [];
  records.slice(1).forEach((r, i) => {
    if (r.length !== header.length) {
      errors.push({ code: UserErrorCodes.INVALID_INPUT, field: `rows[${i}]`, message: `Expected ${header.length} fields, found ${r.length}` });
      rows.push({ value: '' });
      return;
    }
    const get = (col: string): string | null | undefined => {
      const k = header.indexOf(col);
      return k < 0 ? undefined : r[k] === '' ? null : r[k];
    };
    const row: ImportRowInput = { value: get('value') ?? '' };
    for (const col of ['status', 'expiresAt', 'parentIdTag', 'userId'] as const) {
      const v = get(col);
      if (v !== undefined) row[col] = v;
    }
    rows.push(row);
  });
  return { rows, errors };
}

const invalid = (ctx: z.RefinementCtx, message: string): void => userIssue(ctx, UserErrorCodes.INVALID_INPUT, message);

/**
 * One import row. A column left out stays out (undefined: keep what is registered); each column
 * present is normalised (trimmed; status upper-cased, empty = ACCEPTED; empty = null elsewhere).
 * `seen` holds the values of the rows before (regardless of case), with their positions.
 */
function importRow(seen: Map<string, number>) {
  return z.object({
    value: z
      .string()
      .nullish()
      .transform((v) => (v ?? '').trim())
      .superRefine((value, ctx) => {
        if (!isIdTag(value)) invalid(ctx, ID_TAG_RULE);
        const first = seen.get(idTagKey(value));
        if (value && first !== undefined) userIssue(ctx, UserErrorCodes.DUPLICATE, `Also in rows[${first}] (tags compare regardless of case)`);
        else seen.set(idTagKey(value), ctx.path[1] as number);
      }),
    status: z
      .string()
      .nullable()
      .transform((v) => (v ?? 'ACCEPTED').trim().toUpperCase() as IdTagStatus)
      .superRefine((status, ctx) => {
        if (!ID_TAG_STATUSES.includes(status)) invalid(ctx, `Status is one of ${ID_TAG_STATUSES.join(', ')}`);
      })
      .optional(),
    expiresAt: z
      .string()
      .nullable()
      .transform((v, ctx): Date | null => {
        const s = v?.trim();
        if (!s) return null;
        if (ISO_ZONED.test(s) && !Number.isNaN(Date.parse(s))) return new Date(s);
        invalid(ctx, 'An ISO-8601 time with its zone, e.g. 2027-01-31T23:59:59Z');
        return null;
      })
      .optional(),
    parentIdTag: z
      .string()
      .nullable()
      .transform((v) => v?.trim() || null)
      .superRefine((tag, ctx) => {
        if (tag && !isIdTag(tag)) invalid(ctx, ID_TAG_RULE);
      })
      .optional(),
    userId: z
      .string()
      .nullable()
      .transform((v) => v?.trim().toLowerCase() || null)
      .superRefine((id, ctx) => {
        if (id && !isUuid(id)) invalid(ctx, 'A user id (UUID)');
      })
      .optional(),
  });
}

/**
 * Validate every row and report every problem (not just the first), so an
 * operator fixes a file in one go, each at `rows[i].<column>`. Values must be
 * unique within the import, regardless of case.
 */
export function validateImportRows(input: readonly ImportRowInput[]): { rows: ImportRow[]; errors: UserError[] } {
  const errors: UserError[] = [];
  if (input.length === 0) errors.push({ code: UserErrorCodes.INVALID_INPUT, field: 'rows', message: 'Nothing to import' });
  if (input.length > MAX_IMPORT_ROWS)
    return { rows: [], errors: [{ code: UserErrorCodes.INVALID_INPUT, field: 'rows', message: `At most ${MAX_IMPORT_ROWS} tags per import` }] };
  const row = importRow(new Map());
  const rows = input.map((r, i): ImportRow => {
    const parsed = row.safeParse(r, { path: ['rows', i] });
    if (parsed.success) return parsed.data;
    errors.push(...zodUserErrors(parsed.error, { codes: INVALID }));
    return { value: (r.value ?? '').trim() };
  });
  return { rows, errors };
}

const csvField = (v: string): string => (/[",\r\n]/.test(v) || v !== v.trim() ? `"${v.replace(/"/g, '""')}"` : v);

/** The export: the import's header and columns, one tag per line, so an export imports back unchanged. */
export function exportCsv(tags: readonly IdTagRecord[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const t of tags) {
    lines.push([t.value, t.status, t.expiresAt ? t.expiresAt.toISOString() : '', t.parentIdTag ?? '', t.userId ?? ''].map(csvField).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}
