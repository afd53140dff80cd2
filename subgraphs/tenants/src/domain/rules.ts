import { isUuid, parseInput, userIssue, type UserError } from '@evcs/platform';
import { z } from 'zod';
import { isPermission } from './access';
import { UserErrorCodes } from './error-codes';

export const TENANT_TYPES = ['PLATFORM', 'OPERATOR', 'PARTNER'] as const;
export type TenantType = (typeof TENANT_TYPES)[number];
export const TENANT_STATUSES = ['ACTIVE', 'SUSPENDED', 'CLOSED'] as const;
export type TenantStatus = (typeof TENANT_STATUSES)[number];
export const USER_STATUSES = ['ACTIVE', 'DISABLED'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

/** A tenant's children are of a lower kind: the platform has operators and partners, operators have partners. */
export function allowedChildTypes(parent: TenantType): TenantType[] {
  switch (parent) {
    case 'PLATFORM':
      return ['OPERATOR', 'PARTNER'];
    case 'OPERATOR':
      return ['PARTNER'];
    case 'PARTNER':
      return [];
  }
}

export interface Quotas {
  /** null = unlimited */
  maxUsers: number | null;
  maxStations: number | null;
  maxChargers: number | null;
}

export interface LockoutPolicy {
  /** consecutive failures that lock the account */
  maxFailures: number;
  lockSeconds: number;
}
export const DEFAULT_LOCKOUT: LockoutPolicy = { maxFailures: 5, lockSeconds: 15 * 60 };

const TENANT_CODE = /^[a-z0-9][a-z0-9_-]{1,62}$/;
const USERNAME = /^[a-z0-9][a-z0-9._@-]{1,63}$/;
const ROLE_CODE = /^[A-Z][A-Z0-9_]{1,63}$/;

export const PASSWORD_MIN = 10;
/** scrypt's cost doesn't grow with input, but there is no reason to accept megabytes */
export const PASSWORD_MAX = 256;

export const normalizeTenantCode = (code: string): string => code.trim().toLowerCase();
export const normalizeUsername = (username: string): string => username.trim().toLowerCase();
export const normalizeRoleCode = (code: string): string => code.trim().toUpperCase();

// The rules as zod schemas; `check` names their problems at `field` (platform parseInput).
// Every problem of these inputs is INVALID_INPUT, but for unknown permissions.
const CODES = { required: UserErrorCodes.INVALID_INPUT, invalid: UserErrorCodes.INVALID_INPUT };
const check = (schema: z.ZodTypeAny, value: unknown, field: string): UserError[] => {
  const r = parseInput(schema, value, { codes: CODES, prefix: [field] });
  return r.ok ? [] : r.errors;
};

const tenantCode = z.string().regex(TENANT_CODE, 'Tenant code: 2–63 lowercase letters, digits, "-" or "_"');
const username = z.string().regex(USERNAME, 'Username: 2–64 lowercase letters, digits, ".", "_", "-" or "@"');
const roleCode = z.string().regex(ROLE_CODE, 'Role code: 2–64 of A–Z, 0–9 and "_", starting with a letter');
const name = (max: number) =>
  z.string().refine((s) => {
    const n = s.trim().length;
    return n >= 1 && n <= max;
  }, `Must be 1–${max} characters`);
/** Counted in code points, as a user types them. */
const password = z.string().refine((p) => {
  const len = [...p].length;
  return len >= PASSWORD_MIN && len <= PASSWORD_MAX;
}, `Password must be ${PASSWORD_MIN}–${PASSWORD_MAX} characters`);
const quota = z
  .number()
  .nullish()
  .refine((v) => v === undefined || v === null || (Number.isInteger(v) && v >= 0 && v <= 10_000_000), 'Must be a whole number ≥ 0, or null for unlimited');
const quotas = z.object({ maxUsers: quota, maxStations: quota, maxChargers: quota });
const permissions = z.array(z.string()).superRefine((perms, ctx) => {
  const unknown = perms.filter((p) => !isPermission(p));
  if (unknown.length) userIssue(ctx, UserErrorCodes.INVALID_PERMISSION, `Unknown permission(s): ${unknown.join(', ')}`);
});
const uuids = (max: number) =>
  z.array(z.string()).superRefine((ids, ctx) => {
    if (ids.length > max) return userIssue(ctx, UserErrorCodes.INVALID_INPUT, `At most ${max} ids`);
    const bad = ids.filter((i) => !isUuid(i));
    if (bad.length) userIssue(ctx, UserErrorCodes.INVALID_INPUT, `Not UUIDs: ${bad.slice(0, 5).join(', ')}`);
  });

export const checkTenantCode = (code: string, field = 'code'): UserError[] => check(tenantCode, code, field);
export const checkName = (value: string, field: string, max = 200): UserError[] => check(name(max), value, field);
export const checkUsername = (value: string, field = 'username'): UserError[] => check(username, value, field);
export const checkPassword = (value: string, field = 'password'): UserError[] => check(password, value, field);
export const checkQuotas = (q: Partial<Quotas>, field = 'quotas'): UserError[] => check(quotas, q, field);
export const checkRoleCode = (code: string, field = 'code'): UserError[] => check(roleCode, code, field);
export const checkPermissions = (perms: readonly string[], field = 'permissions'): UserError[] => check(permissions, perms, field);
export const checkUuids = (ids: readonly string[], field: string, max = 1000): UserError[] => check(uuids(max), ids, field);
