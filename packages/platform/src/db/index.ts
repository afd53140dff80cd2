// Database helpers, by concern. Only persistence layers and migrations import these.
export * from './knex';
export { afterCommit, TENANT_SETTING, VISIBLE_TENANTS_SETTING, withTenant, withTenantScope } from './tenant-scope';
export * from './pipelining';
export * from './tenant-batches';
export * from './rls-policies';
export { PlatformModel } from './model';
export * from './keyset';
