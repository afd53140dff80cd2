import { PlatformModel } from '@evcs/platform';
import type { RelationMappings } from 'objection';
import type { UserRecord } from '../../domain/ports';
import type { UserStatus } from '../../domain/rules';
import { Role } from './role';
import { Tenant } from './tenant';
import { UserStation } from './user-station';

/** A user of a tenant (`users`); its roles through `user_roles`, its stations in `user_stations`. */
export class User extends PlatformModel {
  static override tableName = 'users';

  id!: string;
  tenantId!: string;
  username!: string;
  displayName!: string | null;
  /** PHC string; never selected for anything but a login */
  passwordHash?: string;
  status!: string;
  failedLoginCount?: number;
  lockedUntil!: Date | null;
  lastLoginAt!: Date | null;
  createdAt!: Date;
  updatedAt!: Date;

  tenant?: Tenant;
  roles?: Role[];
  stations?: UserStation[];

  static override get relationMappings(): RelationMappings {
    return {
      tenant: { relation: PlatformModel.BelongsToOneRelation, modelClass: Tenant, join: { from: 'users.tenant_id', to: 'tenants.id' } },
      roles: {
        relation: PlatformModel.ManyToManyRelation,
        modelClass: Role,
        join: { from: 'users.id', through: { from: 'user_roles.user_id', to: 'user_roles.role_id' }, to: 'roles.id' },
      },
      stations: { relation: PlatformModel.HasManyRelation, modelClass: UserStation, join: { from: 'users.id', to: 'user_stations.user_id' } },
    };
  }

  toRecord(): UserRecord {
    return {
      id: this.id,
      tenantId: this.tenantId,
      username: this.username,
      displayName: this.displayName,
      status: this.status as UserStatus,
      lockedUntil: this.lockedUntil,
      lastLoginAt: this.lastLoginAt,
      createdAt: this.createdAt,
    };
  }
}
