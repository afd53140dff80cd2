import { PlatformModel } from '@evcs/platform';

/** The join table of users and roles (`user_roles`); a trigger refuses roles of other tenants. */
export class UserRole extends PlatformModel {
  static override tableName = 'user_roles';
  static override idColumn = ['user_id', 'role_id'];

  tenantId!: string;
  userId!: string;
  roleId!: string;
  assignedAt!: Date;
}
