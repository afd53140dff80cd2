import { defineCodes } from '@evcs/platform';

/** userError codes this service returns. */
export const UserErrorCodes = defineCodes({
  INVALID_CREDENTIALS:
    'Sign-in refused: unknown tenant or username, a wrong password, or an account locked after failed attempts; one answer for all, so none can be told apart.',
  ACCOUNT_DISABLED: 'The user is disabled.',
  INVALID_REFRESH_TOKEN: 'The refresh token is unknown, expired or revoked.',
  TOKEN_REUSED: 'A refresh token was used twice: the whole sign-in is revoked (a stolen token is the likely cause).',
  INVALID_INPUT: 'A field is malformed or out of range; the field names it.',
  INVALID_PERMISSION: 'A role names a permission that does not exist.',
  DUPLICATE: 'Already taken (a username, role name, tenant slug or id-tag value).',
  NOT_FOUND: "The user, role, tenant or id tag does not exist (or is outside the caller's scope).",
  QUOTA_EXCEEDED: "The tenant's user quota is used up.",
  GRANT_NOT_ALLOWED: 'The caller cannot grant that role or permission: only what it holds itself, within its scope.',
  SYSTEM_ROLE_IMMUTABLE: 'System roles cannot be changed or deleted.',
  INVALID_TENANT_TYPE: "This tenant type cannot be a child of the parent tenant's type.",
  NOT_ALLOWED: "Not allowed in this state or by this caller (a tenant's quotas and status are set by its parent; assuming a suspended tenant).",
});
