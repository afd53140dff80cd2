import { PlatformModel } from '@evcs/platform';
import type { RelationMappings } from 'objection';
import type { SegmentInput } from '../../domain/plan';
import { PlanModel } from './plan';

/** An immutable version of a plan (`tariff_plan_versions`, keyed by plan and number): its segments, as the API shows them. */
export class PlanVersionModel extends PlatformModel {
  static override tableName = 'tariff_plan_versions';
  static override idColumn = ['plan_id', 'version'];
  /** jsonb: written as JSON text, read back as objects */
  static override jsonAttributes = ['segments'];

  tenantId!: string;
  planId!: string;
  version!: number;
  effectiveFrom!: Date;
  segments!: SegmentInput[];
  createdAt!: Date;
  createdBy!: string | null;

  plan?: PlanModel;

  static override get relationMappings(): RelationMappings {
    return {
      plan: {
        relation: PlatformModel.BelongsToOneRelation,
        modelClass: PlanModel,
        join: { from: 'tariff_plan_versions.plan_id', to: 'tariff_plans.id' },
      },
    };
  }
}
