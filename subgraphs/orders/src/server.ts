import {
  BusinessMetrics,
  createSubgraphServer,
  DeadLetterReplayer,
  Knex,
  Logger,
  PgAuditReader,
  PgDeadLetterStore,
  pingDatabase,
  requestReadScopes,
  ReadScope,
  SubgraphServer,
  TokenVerifier,
} from '@evcs/platform';
import type { OrdersContext } from './context';
import type { ChargerDirectory, Pricer } from './domain/ports';
import { dayWindow } from './domain/day-window';
import { ProgressService } from './domain/progress';
import { DEFAULT_RECON_SETTINGS, ReconciliationService, ReconSettings } from './domain/reconciliation';
import { Clock, SessionService } from './domain/session-service';
import { ASSET_EVENTS_CONSUMER, assetEventsHandler } from './events/asset-events-consumer';
import { CHARGER_EVENTS_CONSUMER, chargerEventsHandler } from './events/charger-events-consumer';
import { PAYMENT_EVENTS_CONSUMER, paymentEventsHandler } from './events/payment-events-consumer';
import { PgChargerProjection } from './persistence/charger-projection';
import { ReconReadRepository } from './persistence/recon-read-repository';
import { PgReconStore } from './persistence/recon-store';
import { createLoaders } from './persistence/loaders';
import { PgOrderStore } from './persistence/order-store';
import { OrdersReadRepository } from './persistence/read-repository';
import { buildOrdersSchema, SUBGRAPH_NAME } from './schema';

export interface OrdersDeps {
  knex: Knex;
  verifier: TokenVerifier;
  logger: Logger;
  chargers: ChargerDirectory;
  pricer: Pricer;
  clock?: Clock;
  /** Told when a transaction enqueued commands or events (wakes the outbox relay). */
  onEnqueued?: () => void;
  /** Where orders, starts and reconciliation findings are counted (default: nowhere). */
  business?: BusinessMetrics;
}

export function createReconciliationService(
  deps: Pick<OrdersDeps, 'knex' | 'pricer' | 'clock' | 'business'>,
  settings?: Partial<ReconSettings>,
): ReconciliationService {
  const clock = deps.clock ?? { now: () => new Date() };
  return new ReconciliationService(
    new PgReconStore(deps.knex),
    deps.pricer,
    () => clock.now(),
    dayWindow,
    { ...DEFAULT_RECON_SETTINGS, ...settings },
    deps.business,
  );
}

export function createSessionService(deps: Pick<OrdersDeps, 'knex' | 'chargers' | 'pricer' | 'clock' | 'onEnqueued' | 'business'>): SessionService {
  return new SessionService(
    new PgOrderStore(deps.knex, deps.onEnqueued),
    deps.chargers,
    deps.pricer,
    deps.clock ?? { now: () => new Date() },
    {},
    deps.business,
  );
}

/** Builds the orders subgraph HTTP server; never listens. */
export async function createOrdersServer(deps: OrdersDeps): Promise<SubgraphServer> {
  const repo = new OrdersReadRepository(deps.knex);
  const audit = new PgAuditReader(deps.knex);
  const sessions = createSessionService(deps);
  const reconciliation = createReconciliationService(deps);
  const reconReads = new ReconReadRepository(deps.knex);
  const progress = new ProgressService(deps.pricer);
  // A replayed dead letter goes to the handler of the consumer that could not apply it.
  const deadLetterStore = new PgDeadLetterStore(deps.knex, SUBGRAPH_NAME);
  const deadLetters = new DeadLetterReplayer(deadLetterStore, {
    [CHARGER_EVENTS_CONSUMER]: chargerEventsHandler(sessions),
    [PAYMENT_EVENTS_CONSUMER]: paymentEventsHandler(sessions),
    [ASSET_EVENTS_CONSUMER]: assetEventsHandler(new PgChargerProjection(deps.knex)),
  });
  return createSubgraphServer<OrdersContext>({
    name: SUBGRAPH_NAME,
    schema: await buildOrdersSchema(),
    verifier: deps.verifier,
    logger: deps.logger,
    extendContext: (base) => {
      const scopes = requestReadScopes(base.identity);
      const readScope = (): ReadScope => scopes('order:read');
      return {
        ...base,
        services: { sessions, recon: reconciliation, progress, deadLetters },
        reads: { orders: repo, recon: reconReads, deadLetters: deadLetterStore, audit },
        readScope,
        loaders: createLoaders(repo, readScope),
      };
    },
    ready: async () => {
      await pingDatabase(deps.knex);
    },
  });
}
