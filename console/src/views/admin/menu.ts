import AuditView from './AuditView.vue';
import CredentialsView from './CredentialsView.vue';
import DataScopesView from './DataScopesView.vue';
import IdTagsView from './IdTagsView.vue';
import RolesView from './RolesView.vue';
import TenantsView from './TenantsView.vue';
import UsersView from './UsersView.vue';

/**
 * The Administration group of the menu, each screen with the permission it needs to be offered
 * (what a screen changes needs more; its buttons check that with can()).
 */
export const ADMIN_MENU = [
  { path: '/admin/tenants', name: 'admin-tenants', label: 'admin.menu.tenants', permission: 'tenant:read', group: 'admin.menu.group', component: TenantsView },
  { path: '/admin/users', name: 'admin-users', label: 'admin.menu.users', permission: 'user:read', group: 'admin.menu.group', component: UsersView },
  { path: '/admin/roles', name: 'admin-roles', label: 'admin.menu.roles', permission: 'user:read', group: 'admin.menu.group', component: RolesView },
  // assigning stations is the screen's whole point: offered only to those who may
  {
    path: '/admin/data-scopes',
    name: 'admin-data-scopes',
    label: 'admin.menu.dataScopes',
    permission: 'user:write',
    group: 'admin.menu.group',
    component: DataScopesView,
  },
  { path: '/admin/id-tags', name: 'admin-id-tags', label: 'admin.menu.idTags', permission: 'idtag:read', group: 'admin.menu.group', component: IdTagsView },
  {
    path: '/admin/credentials',
    name: 'admin-credentials',
    label: 'admin.menu.credentials',
    permission: 'charger:write',
    group: 'admin.menu.group',
    component: CredentialsView,
  },
  { path: '/admin/audit', name: 'admin-audit', label: 'admin.menu.audit', permission: 'audit:read', group: 'admin.menu.group', component: AuditView },
] as const;
