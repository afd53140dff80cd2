/** What the audit log records. Details never carry secrets (passwords, tokens, hashes). */
export const AUDIT_EVENT_TYPES = [
  'LOGIN_SUCCEEDED',
  'LOGIN_FAILED',
  'ACCOUNT_LOCKED',
  'TOKEN_REUSE',
  'LOGOUT',
  'ROLE_CREATED',
  'ROLE_PERMISSIONS_CHANGED',
  'ROLES_ASSIGNED',
  'STATIONS_ASSIGNED',
  'USER_CREATED',
  'USER_DISABLED',
  'USER_ENABLED',
  'TENANT_CREATED',
  'TENANT_UPDATED',
  'TENANT_ASSUMED',
  'QUOTA_REFUSED',
  'CROSS_TENANT_ACTION',
  'ID_TAG_CREATED',
  'ID_TAG_UPDATED',
  'ID_TAG_DELETED',
  'ID_TAGS_IMPORTED',
  'ID_TAGS_EXPORTED',
  'ID_TAG_POLICY_CHANGED',
] as const;
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

export interface AuditEventInput {
  type: AuditEventType;
  actorUserId?: string | null;
  actorTenantId?: string | null;
  details?: Record<string, unknown>;
}

/** Where a request came from, for the audit log. */
export interface RequestMeta {
  requestId?: string;
  ip?: string | null;
}
