import { PlatformModel } from '@evcs/platform';
import type { RelationMappings } from 'objection';
import type { TenantRecord } from '../../domain/ports';
import type { TenantStatus, TenantType } from '../../domain/rules';
import { User } from './user';

/** A tenant (`tenants`): the platform, an operator or a partner, in a tree (`parent_id`, `ancestor_ids`). */
export class Tenant extends PlatformModel {
  static override tableName = 'tenants';

  id!: string;
  parentId!: string | null;
  code!: string;
  name!: string;
  type!: string;
  status!: string;
  maxUsers!: number | null;
  maxStations!: number | null;
  maxChargers!: number | null;
  createdAt!: Date;
  updatedAt!: Date;

  users?: User[];
  children?: Tenant[];

  static override get relationMappings(): RelationMappings {
    return {
      users: { relation: PlatformModel.HasManyRelation, modelClass: User, join: { from: 'tenants.id', to: 'users.tenant_id' } },
      children: { relation: PlatformModel.HasManyRelation, modelClass: Tenant, join: { from: 'tenants.id', to: 'tenants.parent_id' } },
    };
  }

  toRecord(): TenantRecord {
    return {
      id: this.id,
      parentId: this.parentId,
      code: this.code,
      name: this.name,
      type: this.type as TenantType,
      status: this.status as TenantStatus,
      quotas: { maxUsers: this.maxUsers, maxStations: this.maxStations, maxChargers: this.maxChargers },
      createdAt: this.createdAt,
    };
  }
}
