import { PlatformModel } from '@evcs/platform';
import type { RelationMappings } from 'objection';
import type { ChargerProtocol } from '../../domain/ports';
import { PlanModel } from './plan';

/** A charger's own plan (`charger_tariff_bindings`, one per tenant and charger), with the station and protocol assets gave for it. */
export class BindingModel extends PlatformModel {
  static override tableName = 'charger_tariff_bindings';
  static override idColumn = ['tenant_id', 'charger_id'];

  tenantId!: string;
  chargerId!: string;
  stationId!: string;
  protocol!: ChargerProtocol;
  planId!: string;
  boundAt!: Date;
  boundBy!: string | null;

  plan?: PlanModel;

  static override get relationMappings(): RelationMappings {
    return {
      plan: {
        relation: PlatformModel.BelongsToOneRelation,
        modelClass: PlanModel,
        join: { from: 'charger_tariff_bindings.plan_id', to: 'tariff_plans.id' },
      },
    };
  }
}
