import { cursorCodec, isUuid, pageSize } from '@evcs/platform';
import { z } from 'zod';
import type { CodeKey } from '../domain/read-model';

/** Stations and chargers page by (code, id); a charger cursor is not accepted for stations. */
export type CursorKind = 'station' | 'charger';

const codeKey = z.object({ code: z.string(), id: z.string().refine(isUuid) });
const codecs = { station: cursorCodec('station', codeKey), charger: cursorCodec('charger', codeKey) };

export const encodeCursor = (kind: CursorKind, key: CodeKey): string => codecs[kind].encode(key);
export const decodeCursor = (kind: CursorKind, cursor: string): CodeKey => codecs[kind].decode(cursor);

export const MAX_PAGE = 500;
export { pageSize };
