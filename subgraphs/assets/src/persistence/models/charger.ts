import { PlatformModel } from '@evcs/platform';
import type { Modifiers, QueryBuilder, RelationMappings } from 'objection';
import type { ChargerRecord } from '../../domain/records';
import { Connector } from './connector';
import { Station } from './station';

/** A charge point (`chargers`): belongs to a station, has connectors. */
export class Charger extends PlatformModel {
  static override tableName = 'chargers';

  id!: string;
  tenantId!: string;
  stationId!: string;
  code!: string;
  currentType!: string;
  ratedPowerKw!: string | null;
  protocol!: string;
  vendor!: string | null;
  model!: string | null;
  firmwareVersion!: string | null;
  firmwareStatus!: string | null;
  firmwareStatusAt!: Date | null;
  diagnosticsStatus!: string | null;
  diagnosticsStatusAt!: Date | null;
  registrationState!: string;
  online!: boolean;
  lastSeenAt!: Date | null;
  version!: number;
  retiredAt!: Date | null;
  createdAt!: Date;
  updatedAt!: Date;

  station?: Station;
  connectors?: Connector[];

  static override get relationMappings(): RelationMappings {
    return {
      station: { relation: PlatformModel.BelongsToOneRelation, modelClass: Station, join: { from: 'chargers.station_id', to: 'stations.id' } },
      connectors: { relation: PlatformModel.HasManyRelation, modelClass: Connector, join: { from: 'chargers.id', to: 'connectors.charger_id' } },
    };
  }

  static override get modifiers(): Modifiers<QueryBuilder<Charger>> {
    return {
      /** Chargers the platform still admits (a retired one keeps its row for history). */
      registered: (q) => void q.where('chargers.registration_state', 'REGISTERED'),
    };
  }

  toRecord(): ChargerRecord {
    return {
      id: this.id,
      tenant_id: this.tenantId,
      station_id: this.stationId,
      code: this.code,
      current_type: this.currentType,
      rated_power_kw: this.ratedPowerKw,
      protocol: this.protocol,
      vendor: this.vendor,
      model: this.model,
      firmware_version: this.firmwareVersion,
      firmware_status: this.firmwareStatus ?? null,
      firmware_status_at: this.firmwareStatusAt ?? null,
      diagnostics_status: this.diagnosticsStatus ?? null,
      diagnostics_status_at: this.diagnosticsStatusAt ?? null,
      registration_state: this.registrationState,
      online: this.online,
      last_seen_at: this.lastSeenAt,
      version: this.version,
      retired_at: this.retiredAt,
      created_at: this.createdAt,
      updated_at: this.updatedAt,
    };
  }
}
