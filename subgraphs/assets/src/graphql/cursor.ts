import { AppError, ErrorCodes } from '@evcs/platform';
import { isUuid } from '@evcs/platform';
import type { CodeKey } from '../persistence/read-repository';

/**
 * Opaque cursors: base64url of the sort key, tagged with what it pages through
 * so a charger cursor is not accepted for stations. Clients must not build or
 * parse them; the server rejects anything it did not issue the shape of.
 */
export type CursorKind = 'station' | 'charger';

export function encodeCursor(kind: CursorKind, key: CodeKey): string {
  return Buffer.from(JSON.stringify([kind, key.code, key.id]), 'utf8').toString('base64url');
}

export function decodeCursor(kind: CursorKind, cursor: string): CodeKey {
  const bad = () => new AppError(ErrorCodes.BAD_USER_INPUT, '`after` is not a cursor of this list');
  let v: unknown;
  try {
    if (!/^[A-Za-z0-9_-]{1,1400}$/.test(cursor)) throw bad();
    v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (!Array.isArray(v) || v.length !== 3 || v[0] !== kind || typeof v[1] !== 'string' || typeof v[2] !== 'string' || !isUuid(v[2])) throw bad();
  return { code: v[1], id: v[2] };
}

export const MAX_PAGE = 500;

export function pageSize(first: number): number {
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE) throw new AppError(ErrorCodes.BAD_USER_INPUT, `\`first\` must be between 1 and ${MAX_PAGE}`);
  return first;
}
