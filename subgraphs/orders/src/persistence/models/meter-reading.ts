import { PlatformModel } from '@evcs/platform';
import type { RelationMappings } from 'objection';
import { OrderModel } from './order';

/** A charger's energy register at an instant of an order's session (`meter_readings`, one per order and instant). */
export class MeterReadingModel extends PlatformModel {
  static override tableName = 'meter_readings';
  static override idColumn = ['order_id', 'at'];

  tenantId!: string;
  orderId!: string;
  at!: Date;
  /** bigint: pg hands it back as a string */
  registerWh!: string;

  order?: OrderModel;

  static override get relationMappings(): RelationMappings {
    return {
      order: {
        relation: PlatformModel.BelongsToOneRelation,
        modelClass: OrderModel,
        join: { from: 'meter_readings.order_id', to: 'orders.id' },
      },
    };
  }
}
