import type DataLoader from 'dataloader';
import type { DeadLetterReplayer, DeadLetterStore, Permission, PgAuditReader, ReadScope, SubgraphContext } from '@evcs/platform';
import type { Actor, PaymentService } from './domain/payment-service';
import type { PaymentRecord, RefundRecord } from './domain/ports';
import type { PaymentsReadRepository } from './persistence/read-repository';

export interface PaymentsLoaders {
  payment: DataLoader<string, PaymentRecord | null>;
  refunds: DataLoader<string, RefundRecord[]>;
}

export interface PaymentsContext extends SubgraphContext<
  { payments: PaymentService; deadLetters: DeadLetterReplayer },
  { payments: PaymentsReadRepository; deadLetters: DeadLetterStore; audit: PgAuditReader },
  PaymentsLoaders
> {
  /** FORBIDDEN without `permission`, TENANT_CONTEXT_MISSING without a tenant. */
  readScope(permission: Permission): ReadScope;
  /** the caller, for writes guarded by `permission` */
  actor(permission: Permission): Actor;
}
