import type { z } from 'zod';
import { AppError, ErrorCodes } from './errors';

/**
 * The one opaque cursor codec. A cursor is base64url of `[kind, key]`: the kind names the
 * list it pages through (a charger cursor is refused for stations), the key is what the
 * list is ordered by, checked against `key` on the way back. Clients must not build or
 * parse cursors; anything this server did not issue the shape of is BAD_USER_INPUT.
 */
export interface CursorCodec<K> {
  encode(key: K): string;
  decode(cursor: string): K;
  /**
   * The same list in another order (`ASC`, `DESC`, …): its cursors name the order too, and a
   * cursor issued for one order is refused by the other (a position in one is not one in the other).
   */
  inOrder(order: string): CursorCodec<K>;
}

// A sort key is a few short fields; a longer "cursor" is not one of ours (and is not parsed).
const MAX_CURSOR_LENGTH = 1400;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const ORDER_SEPARATOR = '/';

export function cursorCodec<S extends z.ZodTypeAny>(kind: string, key: S, order?: string): CursorCodec<z.infer<S>> {
  const tag = order === undefined ? kind : `${kind}${ORDER_SEPARATOR}${order}`;
  const bad = () => new AppError(ErrorCodes.BAD_USER_INPUT, `not a cursor of this list (${kind})`);
  const otherOrder = () =>
    new AppError(ErrorCodes.BAD_USER_INPUT, `a cursor of this list (${kind}) in another sort order: start again without \`after\`/\`before\``);
  return {
    encode: (k) => Buffer.from(JSON.stringify([tag, key.parse(k)]), 'utf8').toString('base64url'),
    decode(cursor) {
      if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH || !BASE64URL.test(cursor)) throw bad();
      let v: unknown;
      try {
        v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
      } catch {
        throw bad();
      }
      if (!Array.isArray(v) || v.length !== 2 || typeof v[0] !== 'string') throw bad();
      if (v[0] !== tag) throw v[0].split(ORDER_SEPARATOR)[0] === kind ? otherOrder() : bad();
      const parsed = key.safeParse(v[1]);
      if (!parsed.success) throw bad();
      return parsed.data as z.infer<S>;
    },
    inOrder: (o) => cursorCodec(kind, key, o),
  };
}

/**
 * The one page-size rule: `first` (or `last`) between 1 and `max`. Cursors are keyset positions,
 * so there is no offset and no "all rows": a list pages through at most `max` a request.
 */
export function pageSize(first: number, max = 500, name = 'first'): number {
  const range = `\`${name}\` must be between 1 and ${max}`;
  if (typeof first !== 'number' || !Number.isInteger(first)) throw new AppError(ErrorCodes.BAD_USER_INPUT, `${range} (a whole number)`);
  if (first < 0) throw new AppError(ErrorCodes.BAD_USER_INPUT, `${range}: it cannot be negative (got ${first})`);
  if (first === 0) throw new AppError(ErrorCodes.BAD_USER_INPUT, `${range}: an empty page says nothing (got 0)`);
  if (first > max) throw new AppError(ErrorCodes.BAD_USER_INPUT, `${range}: at most ${max} rows a page (got ${first})`);
  return first;
}

/** The Relay arguments of a paged list, as a resolver received them. */
export interface PageArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

/**
 * Where a keyset read starts and which way it goes. Plain data: persistence takes it as is.
 * `forward` reads `size` rows after `cursor` in the list's order (from the start when null);
 * `backward` the `size` rows just before `cursor` (the end of the list when null).
 */
export interface KeysetWindow<K> {
  direction: 'forward' | 'backward';
  size: number;
  cursor: K | null;
}

/** A validated page request: the window, and the codec its cursors came from and edges get. */
export interface PageWindow<K> extends KeysetWindow<K> {
  codec: CursorCodec<K>;
}

export interface PageWindowOptions<K> {
  /** the list's codec — in its order (`codec.inOrder(sort)`) when the list has more than one */
  codec: CursorCodec<K>;
  /** rows a page when neither `first` nor `last` is given */
  defaultSize: number;
  /** the largest `first`/`last` (500 unless given) */
  max?: number;
}

const given = <T>(v: T | null | undefined): v is T => v !== null && v !== undefined;

/**
 * The one way to read Relay arguments: `first`/`after` page forwards, `last`/`before` backwards.
 * Refused (BAD_USER_INPUT, saying why): `first` with `last`, `after` with `before` or with `last`,
 * `before` with `first`, a size out of 1..max, a cursor this server did not issue for this list
 * in this order.
 */
export function pageWindow<K>(args: PageArgs, opts: PageWindowOptions<K>): PageWindow<K> {
  const backward = directionOf(args) === 'backward';
  const size = pageSize((backward ? args.last : args.first) ?? opts.defaultSize, opts.max ?? 500, backward ? 'last' : 'first');
  const cursor = backward ? args.before : args.after;
  return { direction: backward ? 'backward' : 'forward', size, cursor: given(cursor) ? opts.codec.decode(cursor) : null, codec: opts.codec };
}

function directionOf(args: PageArgs): KeysetWindow<unknown>['direction'] {
  const fail = (message: string) => new AppError(ErrorCodes.BAD_USER_INPUT, message);
  if (given(args.first) && given(args.last)) throw fail('pass `first` (page forwards) or `last` (page backwards), not both');
  if (given(args.after) && given(args.before)) throw fail('pass `after` (page forwards) or `before` (page backwards), not both');
  if (!given(args.last) && !given(args.before)) return 'forward';
  if (given(args.first)) throw fail('`before` pages backwards: use it with `last`, not `first`');
  if (given(args.after)) throw fail('`after` pages forwards: use it with `first`, not `last`');
  return 'backward';
}
