import type { Permission, ReadScope, SubgraphContext } from '@evcs/platform';
import type { Actor } from './domain/access';
import type { AdminService } from './domain/admin-service';
import type { RequestMeta } from './domain/audit';
import type { AuthService } from './domain/auth-service';
import type { IdTagService } from './domain/id-tag-service';
import type { TenantsLoaders } from './persistence/loaders';
import type { TenantsReadRepository } from './persistence/read-repository';

export interface TenantsContext extends SubgraphContext<
  { auth: AuthService; admin: AdminService; idTags: IdTagService },
  { tenants: TenantsReadRepository },
  TenantsLoaders
> {
  /** The read scope for a read guarded by `permission`: FORBIDDEN without it, TENANT_CONTEXT_MISSING without a tenant. */
  readScope(permission: Permission): ReadScope;
  /** The caller as the domain services see it (tenant required). */
  actor(): Actor;
  meta: RequestMeta;
}
