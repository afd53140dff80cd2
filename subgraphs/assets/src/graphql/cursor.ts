import { cursorCodec, isUuid, pageSize } from '@evcs/platform';
import { z } from 'zod';
import type { CodeKey } from '../domain/read-model';

/** Stations and chargers page by (code, id); a charger cursor is not accepted for stations. */
export type CursorKind = 'station' | 'charger';

const codeKey = z.object({ code: z.string(), id: z.string().refine(isUuid) });
export const cursors = { station: cursorCodec('station', codeKey), charger: cursorCodec('charger', codeKey) };
export const codeKeyOf = (r: CodeKey): CodeKey => ({ code: r.code, id: r.id });

export const encodeCursor = (kind: CursorKind, key: CodeKey): string => cursors[kind].encode(key);
export const decodeCursor = (kind: CursorKind, cursor: string): CodeKey => cursors[kind].decode(cursor);

export const MAX_PAGE = 500;
export { pageSize };
