import { PlatformModel } from '@evcs/platform';
import type { RelationMappings } from 'objection';
import type { ChannelName, ClientParams, PaymentMethod } from '../../domain/channel';
import type { PaymentState } from '../../domain/ports';
import { RefundModel } from './refund';

/** A payment of an order (`payments`): one trade at one channel, and what has been refunded of it. */
export class PaymentModel extends PlatformModel {
  static override tableName = 'payments';
  /** jsonb: written as JSON text, read back as an object */
  static override jsonAttributes = ['clientParams'];

  id!: string;
  tenantId!: string;
  orderId!: string;
  stationId!: string | null;
  idempotencyKey!: string;
  channel!: ChannelName;
  method!: PaymentMethod;
  outTradeNo!: string;
  /** bigint: pg hands it back as a string */
  amountFen!: number | string;
  refundedFen!: number | string;
  currency!: string;
  state!: PaymentState;
  channelTradeNo!: string | null;
  clientParams!: ClientParams | null;
  flags!: string[];
  failureReason!: string | null;
  createdBy!: string;
  createdAt!: Date;
  updatedAt!: Date;
  paidAt!: Date | null;
  closedAt!: Date | null;

  refunds?: RefundModel[];

  // A getter: the related class is resolved when objection first asks, after every module loaded.
  static override get relationMappings(): RelationMappings {
    return {
      refunds: {
        relation: PlatformModel.HasManyRelation,
        modelClass: RefundModel,
        join: { from: 'payments.id', to: 'refunds.payment_id' },
      },
    };
  }
}
