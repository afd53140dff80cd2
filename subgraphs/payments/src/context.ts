import type DataLoader from 'dataloader';
import type { BaseRequestContext, Permission, ReadScope } from '@evcs/platform';
import type { Actor, PaymentService } from './domain/payment-service';
import type { PaymentRecord, RefundRecord } from './domain/ports';
import type { PaymentsReadRepository } from './persistence/read-repository';

export interface PaymentsContext extends BaseRequestContext {
  service: PaymentService;
  repo: PaymentsReadRepository;
  /** FORBIDDEN without `permission`, TENANT_CONTEXT_MISSING without a tenant. */
  readScope(permission: Permission): ReadScope;
  /** the caller, for writes guarded by `permission` */
  actor(permission: Permission): Actor;
  loaders: {
    payment: DataLoader<string, PaymentRecord | null>;
    refunds: DataLoader<string, RefundRecord[]>;
  };
}
