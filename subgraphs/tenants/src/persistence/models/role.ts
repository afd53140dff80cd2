import { PlatformModel, type DataScope } from '@evcs/platform';
import type { RelationMappings } from 'objection';
import type { RoleRecord } from '../../domain/ports';
import { User } from './user';

/** A role (`roles`): a system role (tenant null, changed only by migrations) or a tenant's own. Its permissions and data scope are columns. */
export class Role extends PlatformModel {
  static override tableName = 'roles';

  id!: string;
  tenantId!: string | null;
  code!: string;
  name!: string;
  description!: string | null;
  dataScope!: string;
  permissions!: string[];
  createdAt!: Date;
  updatedAt!: Date;

  users?: User[];

  static override get relationMappings(): RelationMappings {
    return {
      users: {
        relation: PlatformModel.ManyToManyRelation,
        modelClass: User,
        join: { from: 'roles.id', through: { from: 'user_roles.role_id', to: 'user_roles.user_id' }, to: 'users.id' },
      },
    };
  }

  toRecord(): RoleRecord {
    return {
      id: this.id,
      tenantId: this.tenantId,
      code: this.code,
      name: this.name,
      description: this.description,
      dataScope: this.dataScope as DataScope,
      permissions: this.permissions,
    };
  }
}
