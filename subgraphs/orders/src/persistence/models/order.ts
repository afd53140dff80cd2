import { PlatformModel } from '@evcs/platform';
import type { RelationMappings } from 'objection';
import type { Bill, ChargerBill } from '../../domain/ports';
import type { OrderState } from '../../domain/states';
import { MeterReadingModel } from './meter-reading';

/**
 * A charging order (`orders`) from plug to bill. Amounts are numeric(14,2) and energies
 * bigint: pg hands both back as strings, and the store's mapping makes Money and numbers of them.
 */
export class OrderModel extends PlatformModel {
  static override tableName = 'orders';
  /** jsonb: written as JSON text, read back as objects */
  static override jsonAttributes = ['bill', 'chargerBill'];

  id!: string;
  tenantId!: string;
  stationId!: string | null;
  chargerId!: string | null;
  chargerCode!: string;
  connectorNo!: number;
  userId!: string | null;
  idTag!: string | null;
  origin!: 'API' | 'CHARGER';
  transactionId!: string | null;
  state!: OrderState;
  startedAt!: Date | null;
  stoppedAt!: Date | null;
  meterStartWh!: string | null;
  meterStopWh!: string | null;
  energyWh!: string | null;
  amount!: string | null;
  currency!: string;
  bill!: Bill | null;
  chargerBill!: ChargerBill | null;
  preAuthorizedFen!: number | null;
  failureReason!: string | null;
  stopReason!: string | null;
  reviewFlags!: string[];
  idempotencyKey!: string | null;
  requestHash!: string | null;
  paidAt!: Date | null;
  paidAmount!: string | null;
  refundedAmount!: string;
  createdAt!: Date;
  updatedAt!: Date;

  readings?: MeterReadingModel[];

  // A getter: the related class is resolved when objection first asks, after every module loaded.
  static override get relationMappings(): RelationMappings {
    return {
      readings: {
        relation: PlatformModel.HasManyRelation,
        modelClass: MeterReadingModel,
        join: { from: 'orders.id', to: 'meter_readings.order_id' },
      },
    };
  }
}
