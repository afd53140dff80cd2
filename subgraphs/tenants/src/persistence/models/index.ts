/**
 * The tenants' objection models. Never bound to a knex (see PlatformModel): every query
 * names the tenant transaction it runs in, `User.query(trx)`.
 */
export { Role } from './role';
export { Tenant } from './tenant';
export { User } from './user';
export { UserRole } from './user-role';
export { UserStation } from './user-station';
