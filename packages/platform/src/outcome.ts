/**
 * Expected failures are data: a domain service returns an Outcome, and the GraphQL
 * layer turns its errors into a payload's `userErrors`. Unexpected failures are thrown
 * (AppError with a stable code). One shape for every subgraph.
 */
export interface UserError {
  /** stable, machine-readable */
  code: string;
  /** the input field at fault as a path (`segments[3].start`, see fieldPath); null when not about one field */
  field: string | null;
  message: string;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; errors: UserError[] };

export const ok = <T>(value: T): Outcome<T> => ({ ok: true, value });

export const userError = (code: string, field: string | null, message: string): UserError => ({ code, field, message });

export const fail = <T = never>(code: string, field: string | null, message: string): Outcome<T> => ({ ok: false, errors: [{ code, field, message }] });

export const failAll = <T = never>(errors: UserError[]): Outcome<T> => ({ ok: false, errors });

/**
 * The one field-path convention: object keys joined with dots, list positions in
 * brackets — fieldPath('input', 'segments', 3, 'start') is `input.segments[3].start`.
 * Paths name the mutation's input fields (without the `input` argument itself, by habit).
 */
export function fieldPath(...parts: readonly (string | number)[]): string {
  let path = '';
  for (const p of parts) {
    if (typeof p === 'number') {
      if (!Number.isInteger(p) || p < 0) throw new RangeError(`fieldPath: not a list position: ${p}`);
      path += `[${p}]`;
    } else {
      if (p.length === 0) throw new RangeError('fieldPath: empty key');
      path += path ? `.${p}` : p;
    }
  }
  return path;
}
