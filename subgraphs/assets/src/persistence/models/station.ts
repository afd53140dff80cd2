import { PlatformModel } from '@evcs/platform';
import type { RelationMappings } from 'objection';
import type { StationRecord } from '../../domain/records';
import { Charger } from './charger';

/** A charging site (`stations`). */
export class Station extends PlatformModel {
  static override tableName = 'stations';

  id!: string;
  tenantId!: string;
  code!: string;
  name!: string;
  address!: string | null;
  /** numeric: exact decimal strings as pg returns them */
  latitude!: string | null;
  longitude!: string | null;
  timezone!: string;
  status!: string;
  version!: number;
  retiredAt!: Date | null;
  createdAt!: Date;
  updatedAt!: Date;

  chargers?: Charger[];

  static override get relationMappings(): RelationMappings {
    return {
      chargers: { relation: PlatformModel.HasManyRelation, modelClass: Charger, join: { from: 'stations.id', to: 'chargers.station_id' } },
    };
  }

  toRecord(): StationRecord {
    return {
      id: this.id,
      tenant_id: this.tenantId,
      code: this.code,
      name: this.name,
      address: this.address,
      latitude: this.latitude,
      longitude: this.longitude,
      timezone: this.timezone,
      status: this.status,
      version: this.version,
      retired_at: this.retiredAt,
      created_at: this.createdAt,
      updated_at: this.updatedAt,
    };
  }
}
