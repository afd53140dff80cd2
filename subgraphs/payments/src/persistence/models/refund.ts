import { PlatformModel } from '@evcs/platform';
import type { RelationMappings } from 'objection';
import type { RefundState } from '../../domain/ports';
import { PaymentModel } from './payment';

/** A refund of (part of) a payment (`refunds`); its amount is reserved on the payment while it is processed. */
export class RefundModel extends PlatformModel {
  static override tableName = 'refunds';

  id!: string;
  tenantId!: string;
  paymentId!: string;
  idempotencyKey!: string;
  outRefundNo!: string;
  /** bigint: pg hands it back as a string */
  amountFen!: number | string;
  reason!: string;
  state!: RefundState;
  channelRefundNo!: string | null;
  failureReason!: string | null;
  createdBy!: string;
  createdAt!: Date;
  updatedAt!: Date;
  succeededAt!: Date | null;

  payment?: PaymentModel;

  static override get relationMappings(): RelationMappings {
    return {
      payment: {
        relation: PlatformModel.BelongsToOneRelation,
        modelClass: PaymentModel,
        join: { from: 'refunds.payment_id', to: 'payments.id' },
      },
    };
  }
}
