import type { DeadLetterReplayer, DeadLetterStore, PgAuditReader, ReadScope, SubgraphContext } from '@evcs/platform';
import type { ProgressService } from './domain/progress';
import type { ReconciliationService } from './domain/reconciliation';
import type { SessionService } from './domain/session-service';
import type { ReconReadRepository } from './persistence/recon-read-repository';
import type { OrdersLoaders } from './persistence/loaders';
import type { OrdersReadRepository } from './persistence/read-repository';

export interface OrdersContext extends SubgraphContext<
  { sessions: SessionService; recon: ReconciliationService; progress: ProgressService; deadLetters: DeadLetterReplayer },
  { orders: OrdersReadRepository; recon: ReconReadRepository; deadLetters: DeadLetterStore; audit: PgAuditReader },
  OrdersLoaders
> {
  /** order:read scope; FORBIDDEN without the permission, TENANT_CONTEXT_MISSING without a tenant */
  readScope(): ReadScope;
}
