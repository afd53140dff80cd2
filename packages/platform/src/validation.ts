import { z } from 'zod';
import { AppError, ErrorCodes } from './errors';
import { failAll, fieldPath, ok, type Outcome, type UserError } from './outcome';

/**
 * Zod schemas at the edge, UserErrors out: the one adapter between them.
 *
 * A schema says which user-error code an issue carries by raising it with `userIssue`
 * (a custom issue with `params.code`); any other issue — a wrong type, a value outside an
 * enum, a plain `.refine` — is mapped by `codes`: missing (undefined or null where a value
 * is needed) to `codes.required`, everything else to `codes.invalid`. The field is the
 * issue's path in the fieldPath convention (`segments[3].start`), after `prefix`; an issue
 * at the root has no field (null). The message is the issue's own, so a schema names its
 * messages where users read them.
 */
export interface UserErrorCodesOf {
  required: string;
  invalid: string;
}

export interface ZodUserErrorOptions {
  codes: UserErrorCodesOf;
  /** the path the input sits at (e.g. ['rows', 4]); fields are named below it */
  prefix?: readonly (string | number)[];
}

interface UserIssueParams {
  code?: unknown;
}

/** Report a problem with a user-error code, at the value being checked (or `path` below it). */
export function userIssue(ctx: z.RefinementCtx, code: string, message: string, path?: (string | number)[]): void {
  ctx.addIssue({ code: z.ZodIssueCode.custom, message, params: { code }, ...(path ? { path } : {}) });
}

/** The field being checked, as its messages name it: `connectors[2].maxPowerKw`. */
export const fieldOf = (ctx: z.RefinementCtx): string => fieldPath(...ctx.path);

const isMissing = (issue: z.ZodIssue): boolean =>
  issue.code === z.ZodIssueCode.invalid_type && (issue.received === z.ZodParsedType.undefined || issue.received === z.ZodParsedType.null);

function codeOf(issue: z.ZodIssue, codes: UserErrorCodesOf): string {
  if (issue.code === z.ZodIssueCode.custom) {
    const code = (issue.params as UserIssueParams | undefined)?.code;
    if (typeof code === 'string') return code;
  }
  return isMissing(issue) ? codes.required : codes.invalid;
}

/** Every issue of a failed parse as a UserError, in the order zod found them. */
export function zodUserErrors(error: z.ZodError, opts: ZodUserErrorOptions): UserError[] {
  return error.issues.map((issue) => {
    const path = [...(opts.prefix ?? []), ...issue.path];
    return { code: codeOf(issue, opts.codes), field: path.length ? fieldPath(...path) : null, message: issue.message };
  });
}

/** Parse `input` with `schema`: its output, or every problem as UserErrors (see zodUserErrors). */
export function parseInput<S extends z.ZodTypeAny>(schema: S, input: unknown, opts: ZodUserErrorOptions): Outcome<z.output<S>> {
  const r = schema.safeParse(input);
  return r.success ? ok(r.data as z.output<S>) : failAll(zodUserErrors(r.error, opts));
}

/**
 * Parse a query's arguments (filters, page sizes), where a problem is the caller's mistake rather
 * than a payload's userError: the parsed value, or an AppError BAD_USER_INPUT with the first
 * problem's message.
 */
export function parseArgs<S extends z.ZodTypeAny>(schema: S, input: unknown): z.output<S> {
  const r = schema.safeParse(input);
  if (!r.success) throw new AppError(ErrorCodes.BAD_USER_INPUT, r.error.issues[0]?.message ?? 'invalid arguments');
  return r.data as z.output<S>;
}
