import DataLoader from 'dataloader';
import { groupByKey, type ReadScope } from '@evcs/platform';
import type { RoleRecord, TenantRecord } from '../domain/ports';
import type { TenantsReadRepository } from './read-repository';

/** Per-request loaders: built with the request's scopes, so no cache spans tenants or users. */
export function createLoaders(repo: TenantsReadRepository, tenantScope: () => ReadScope, userScope: () => ReadScope) {
  return {
    tenant: new DataLoader<string, TenantRecord | null>(async (ids) => {
      const m = new Map((await repo.tenantsByIds(tenantScope(), ids)).map((t) => [t.id, t]));
      return ids.map((id) => m.get(id) ?? null);
    }),
    children: new DataLoader<string, TenantRecord[]>(async (ids) => groupByKey(await repo.childrenOf(tenantScope(), ids), ids, (t) => t.parentId ?? '')),
    userRoles: new DataLoader<string, RoleRecord[]>(async (ids) => groupByKey(await repo.rolesOfUsers(userScope(), ids), ids, (r) => r.userId)),
    userStations: new DataLoader<string, string[]>(async (ids) =>
      groupByKey(await repo.stationsOfUsers(userScope(), ids), ids, (r) => r.userId).map((l) => l.map((r) => r.stationId)),
    ),
  };
}
export type TenantsLoaders = ReturnType<typeof createLoaders>;
