import { z } from 'zod';
import { fieldOf, parseArgs, parseInput, userIssue, zodUserErrors } from '../src/validation';

const codes = { required: 'REQUIRED', invalid: 'INVALID' };

describe('zod → UserError', () => {
  const schema = z.object({
    name: z.string({ required_error: 'name is required' }),
    segments: z.array(
      z.object({
        start: z.string().superRefine((v, ctx) => {
          if (!/^\d\d:\d\d$/.test(v)) userIssue(ctx, 'BAD_TIME', `${fieldOf(ctx)} is not HH:MM`);
        }),
      }),
    ),
    kind: z.enum(['A', 'B']).optional(),
  });

  it('names fields by the fieldPath convention, takes the code a schema gives, and keeps every message', () => {
    const r = parseInput(schema, { segments: [{ start: '08:00' }, { start: 'x' }], kind: 'C' }, { codes });
    expect(r.ok).toBe(false);
    expect(r.ok ? [] : r.errors).toEqual([
      { code: 'REQUIRED', field: 'name', message: 'name is required' },
      { code: 'BAD_TIME', field: 'segments[1].start', message: 'segments[1].start is not HH:MM' },
      { code: 'INVALID', field: 'kind', message: expect.any(String) },
    ]);
  });

  it('returns the parsed value when there is no problem', () => {
    expect(parseInput(schema, { name: 'n', segments: [] }, { codes })).toEqual({ ok: true, value: { name: 'n', segments: [] } });
  });

  it('puts fields below a prefix; a root issue has no field; a custom issue without a code is invalid', () => {
    const root = z.string().refine((s) => s.length > 1, 'too short');
    const r = root.safeParse('x');
    expect(r.success ? [] : zodUserErrors(r.error, { codes })).toEqual([{ code: 'INVALID', field: null, message: 'too short' }]);
    const nested = parseInput(z.object({ value: z.string().nullable() }), { value: undefined }, { codes, prefix: ['rows', 4] });
    expect(nested.ok ? [] : nested.errors).toEqual([{ code: 'REQUIRED', field: 'rows[4].value', message: 'Required' }]);
  });

  it('arguments: the parsed value, or BAD_USER_INPUT with the first problem', () => {
    const args = z.object({ last: z.number().int().min(1, '`last` must be between 1 and 100'), q: z.string().max(3, 'q is at most 3 characters') });
    expect(parseArgs(args, { last: 2, q: 'ab' })).toEqual({ last: 2, q: 'ab' });
    expect(() => parseArgs(args, { last: 0, q: 'abcd' })).toThrow(
      expect.objectContaining({ code: 'BAD_USER_INPUT', message: '`last` must be between 1 and 100' }),
    );
  });
});
