import { AppError, ErrorCodes } from './errors';

/**
 * The one id check. Ids are UUIDs, compared and accepted case-insensitively (RFC 9562
 * says hex digits are case-insensitive on input; Postgres' uuid type agrees), and
 * normalised to lower case where they are stored or compared as text.
 */
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_PATTERN.test(value);
}

/** The value, lower-cased, or BAD_USER_INPUT naming `what`. */
export function parseUuid(value: string, what = 'id'): string {
  if (!isUuid(value)) throw new AppError(ErrorCodes.BAD_USER_INPUT, `${what} is not a UUID`);
  return value.toLowerCase();
}
