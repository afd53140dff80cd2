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
}

// A sort key is a few short fields; a longer "cursor" is not one of ours (and is not parsed).
const MAX_CURSOR_LENGTH = 1400;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

export function cursorCodec<S extends z.ZodTypeAny>(kind: string, key: S): CursorCodec<z.infer<S>> {
  const bad = () => new AppError(ErrorCodes.BAD_USER_INPUT, `not a cursor of this list (${kind})`);
  return {
    encode: (k) => Buffer.from(JSON.stringify([kind, key.parse(k)]), 'utf8').toString('base64url'),
    decode(cursor) {
      if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH || !BASE64URL.test(cursor)) throw bad();
      let v: unknown;
      try {
        v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
      } catch {
        throw bad();
      }
      if (!Array.isArray(v) || v.length !== 2 || v[0] !== kind) throw bad();
      const parsed = key.safeParse(v[1]);
      if (!parsed.success) throw bad();
      return parsed.data as z.infer<S>;
    },
  };
}

/** The one page-size rule: `first` (or `last`) between 1 and `max`. */
export function pageSize(first: number, max = 500, name = 'first'): number {
  if (!Number.isInteger(first) || first < 1 || first > max) throw new AppError(ErrorCodes.BAD_USER_INPUT, `\`${name}\` must be between 1 and ${max}`);
  return first;
}
