import { isUuid } from '@evcs/platform';
import { isPermission } from './access';
import { type UserError } from '@evcs/platform';
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

const err = (field: string, message: string, code: string = UserErrorCodes.INVALID_INPUT): UserError => ({ code, field, message });

const TENANT_CODE = /^[a-z0-9][a-z0-9_-]{1,62}$/;
const USERNAME = /^[a-z0-9][a-z0-9._@-]{1,63}$/;
const ROLE_CODE = /^[A-Z][A-Z0-9_]{1,63}$/;

export const PASSWORD_MIN = 10;
/** scrypt's cost doesn't grow with input, but there is no reason to accept megabytes */
export const PASSWORD_MAX = 256;

export const normalizeTenantCode = (code: string): string => code.trim().toLowerCase();
export const normalizeUsername = (username: string): string => username.trim().toLowerCase();
export const normalizeRoleCode = (code: string): string => code.trim().toUpperCase();

export function checkTenantCode(code: string, field = 'code'): UserError[] {
  return TENANT_CODE.test(code) ? [] : [err(field, 'Tenant code: 2–63 lowercase letters, digits, "-" or "_"')];
}

export function checkName(name: string, field: string, max = 200): UserError[] {
  const n = name.trim();
  return n.length >= 1 && n.length <= max ? [] : [err(field, `Must be 1–${max} characters`)];
}

export function checkUsername(username: string, field = 'username'): UserError[] {
  return USERNAME.test(username) ? [] : [err(field, 'Username: 2–64 lowercase letters, digits, ".", "_", "-" or "@"')];
}

export function checkPassword(password: string, field = 'password'): UserError[] {
  const len = [...password].length;
  return len >= PASSWORD_MIN && len <= PASSWORD_MAX ? [] : [err(field, `Password must be ${PASSWORD_MIN}–${PASSWORD_MAX} characters`)];
}

export function checkQuotas(q: Partial<Quotas>, field = 'quotas'): UserError[] {
  const out: UserError[] = [];
  for (const k of ['maxUsers', 'maxStations', 'maxChargers'] as const) {
    const v = q[k];
    if (v !== undefined && v !== null && (!Number.isInteger(v) || v < 0 || v > 10_000_000))
      out.push(err(`${field}.${k}`, 'Must be a whole number ≥ 0, or null for unlimited'));
  }
  return out;
}

export function checkRoleCode(code: string, field = 'code'): UserError[] {
  return ROLE_CODE.test(code) ? [] : [err(field, 'Role code: 2–64 of A–Z, 0–9 and "_", starting with a letter')];
}

export function checkPermissions(perms: readonly string[], field = 'permissions'): UserError[] {
  const unknown = perms.filter((p) => !isPermission(p));
  return unknown.length ? [err(field, `Unknown permission(s): ${unknown.join(', ')}`, UserErrorCodes.INVALID_PERMISSION)] : [];
}

export function checkUuids(ids: readonly string[], field: string, max = 1000): UserError[] {
  if (ids.length > max) return [err(field, `At most ${max} ids`)];
  const bad = ids.filter((i) => !isUuid(i));
  return bad.length ? [err(field, `Not UUIDs: ${bad.slice(0, 5).join(', ')}`)] : [];
}
