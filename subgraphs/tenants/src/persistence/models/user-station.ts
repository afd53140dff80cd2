import { PlatformModel } from '@evcs/platform';

/** The stations a station manager is assigned (`user_stations`; the stations themselves live in assets). */
export class UserStation extends PlatformModel {
  static override tableName = 'user_stations';
  static override idColumn = ['user_id', 'station_id'];

  tenantId!: string;
  userId!: string;
  stationId!: string;
  assignedAt!: Date;
}
