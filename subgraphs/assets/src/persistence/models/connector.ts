import { PlatformModel } from '@evcs/platform';
import type { Modifiers, QueryBuilder, RelationMappings } from 'objection';
import type { ConnectorRecord } from '../../domain/records';
import { Charger } from './charger';

/** A connector (gun) of a charger (`connectors`). */
export class Connector extends PlatformModel {
  static override tableName = 'connectors';

  id!: string;
  tenantId!: string;
  chargerId!: string;
  connectorNo!: number;
  plugType!: string | null;
  maxPowerKw!: string | null;
  status!: string;
  errorCode!: string | null;
  statusAt!: Date | null;
  version!: number;
  retiredAt!: Date | null;
  createdAt!: Date;
  updatedAt!: Date;

  charger?: Charger;

  static override get relationMappings(): RelationMappings {
    return {
      charger: { relation: PlatformModel.BelongsToOneRelation, modelClass: Charger, join: { from: 'connectors.charger_id', to: 'chargers.id' } },
    };
  }

  static override get modifiers(): Modifiers<QueryBuilder<Connector>> {
    return {
      /** Connectors not retired, by number. */
      active: (q) => void q.whereNull('connectors.retired_at').orderBy('connectors.connector_no'),
    };
  }

  toRecord(): ConnectorRecord {
    return {
      id: this.id,
      tenant_id: this.tenantId,
      charger_id: this.chargerId,
      connector_no: this.connectorNo,
      plug_type: this.plugType,
      max_power_kw: this.maxPowerKw,
      status: this.status,
      error_code: this.errorCode,
      status_at: this.statusAt,
      version: this.version,
      retired_at: this.retiredAt,
      created_at: this.createdAt,
      updated_at: this.updatedAt,
    };
  }
}
