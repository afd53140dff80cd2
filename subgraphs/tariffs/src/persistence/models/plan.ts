import { PlatformModel } from '@evcs/platform';
import type { RelationMappings } from 'objection';
import type { PlanStatus } from '../../domain/ports';
import { BindingModel } from './binding';
import { PlanVersionModel } from './plan-version';

/** A tariff plan (`tariff_plans`): a station's, or with stationId null the tenant's. */
export class PlanModel extends PlatformModel {
  static override tableName = 'tariff_plans';

  id!: string;
  tenantId!: string;
  stationId!: string | null;
  name!: string;
  /** char(3): Postgres pads it, the record trims it */
  currency!: string;
  timezone!: string;
  status!: PlanStatus;
  isDefault!: boolean;
  createdAt!: Date;
  updatedAt!: Date;
  retiredAt?: Date | null;

  versions?: PlanVersionModel[];
  bindings?: BindingModel[];

  // A getter: the related classes are resolved when objection first asks, after every module loaded.
  static override get relationMappings(): RelationMappings {
    return {
      versions: {
        relation: PlatformModel.HasManyRelation,
        modelClass: PlanVersionModel,
        join: { from: 'tariff_plans.id', to: 'tariff_plan_versions.plan_id' },
      },
      bindings: {
        relation: PlatformModel.HasManyRelation,
        modelClass: BindingModel,
        join: { from: 'tariff_plans.id', to: 'charger_tariff_bindings.plan_id' },
      },
    };
  }
}
