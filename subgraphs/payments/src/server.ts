import DataLoader from 'dataloader';
import {
  auditActorOf,
  BusinessMetrics,
  createSubgraphServer,
  DeadLetterReplayer,
  groupByKey,
  Knex,
  Logger,
  Permission,
  PgAuditReader,
  PgDeadLetterStore,
  pingDatabase,
  requestReadScopes,
  readBody,
  requirePermission,
  SubgraphServer,
  TokenVerifier,
} from '@evcs/platform';
import type { PaymentsContext } from './context';
import type { ChannelName, PaymentChannel } from './domain/channel';
import { PaymentService } from './domain/payment-service';
import type { OrderFactsSink, OrderLookup, PaymentRecord, RefundRecord } from './domain/ports';
import { ORDER_CONSUMER, orderEventsHandler } from './events/order-consumer';
import { PgPaymentStore } from './persistence/payment-store';
import { PaymentsReadRepository } from './persistence/read-repository';
import { buildPaymentsSchema, SUBGRAPH_NAME } from './schema';

/** Public, token-less endpoints the channels POST notifications to; authenticated by channel signature. */
export const NOTIFY_PATHS: Record<ChannelName, string> = { ALIPAY: '/notify/alipay', WECHATPAY: '/notify/wechatpay' };

export interface PaymentsDeps {
  knex: Knex;
  verifier: TokenVerifier;
  logger: Logger;
  channels: Partial<Record<ChannelName, PaymentChannel>>;
  /** how the channels reach this service, e.g. https://pay.example.com (notify URLs are built from it) */
  publicBaseUrl: string | (() => string);
  now?: () => Date;
  /** see PaymentServiceDeps.merchantTenantId */
  merchantTenantId?: string | null;
  /** see PaymentServiceDeps.metrics */
  business?: BusinessMetrics;
  /** see PaymentServiceDeps.orders */
  orders?: OrderLookup;
  /** see PaymentServiceDeps.orderFacts */
  orderFacts?: OrderFactsSink;
}

export interface PaymentsServer extends SubgraphServer {
  service: PaymentService;
  store: PgPaymentStore;
}

/** The payment service over `deps.knex`: the server's, and the settlement and statement jobs' (on the background pool). */
export function createPaymentService(deps: Omit<PaymentsDeps, 'verifier'>, store = new PgPaymentStore(deps.knex)): PaymentService {
  const base = () => (typeof deps.publicBaseUrl === 'string' ? deps.publicBaseUrl : deps.publicBaseUrl()).replace(/\/$/, '');
  return new PaymentService({
    store,
    channels: deps.channels,
    notifyUrls: {
      get ALIPAY() {
        return `${base()}${NOTIFY_PATHS.ALIPAY}`;
      },
      get WECHATPAY() {
        return `${base()}${NOTIFY_PATHS.WECHATPAY}`;
      },
    },
    log: deps.logger,
    now: deps.now,
    merchantTenantId: deps.merchantTenantId,
    metrics: deps.business,
    orders: deps.orders,
    orderFacts: deps.orderFacts,
  });
}

/** Builds the payments subgraph HTTP server (GraphQL, notify endpoints, health); never listens. */
export async function createPaymentsServer(deps: PaymentsDeps): Promise<PaymentsServer> {
  const store = new PgPaymentStore(deps.knex);
  const repo = new PaymentsReadRepository(deps.knex);
  const audit = new PgAuditReader(deps.knex);
  const service = createPaymentService(deps, store);
  // A replayed dead letter goes to the handler of the consumer that could not apply it.
  const deadLetterStore = new PgDeadLetterStore(deps.knex, SUBGRAPH_NAME);
  const deadLetters = new DeadLetterReplayer(deadLetterStore, { [ORDER_CONSUMER]: orderEventsHandler(store) });
  const notifyRoute = (channel: ChannelName) => async (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    const rawBody = await readBody(req, 64 * 1024);
    const a = await service.handleNotification(channel, { headers: req.headers, rawBody });
    res.writeHead(a.status, { 'content-type': a.contentType, 'content-length': String(Buffer.byteLength(a.body)) });
    res.end(a.body);
  };
  const srv = await createSubgraphServer<PaymentsContext>({
    name: SUBGRAPH_NAME,
    schema: await buildPaymentsSchema(),
    verifier: deps.verifier,
    logger: deps.logger,
    publicPostRoutes: { [NOTIFY_PATHS.ALIPAY]: notifyRoute('ALIPAY'), [NOTIFY_PATHS.WECHATPAY]: notifyRoute('WECHATPAY') },
    extendContext: (b) => {
      const readScope = requestReadScopes(b.identity, 'forbidden');
      const paymentScope = () => readScope('payment:read');
      return {
        ...b,
        services: { payments: service, deadLetters },
        reads: { payments: repo, deadLetters: deadLetterStore, audit },
        readScope,
        actor: (permission: Permission) => {
          requirePermission(b.identity, permission);
          return { tenantId: b.tenantId(), subject: b.identity.subject, audit: auditActorOf(b) };
        },
        loaders: {
          payment: new DataLoader<string, PaymentRecord | null>(async (ids) => {
            const m = new Map((await repo.paymentsByIds(paymentScope(), ids)).map((p) => [p.id, p]));
            return ids.map((id) => m.get(id) ?? null);
          }),
          refunds: new DataLoader<string, RefundRecord[]>(async (ids) =>
            groupByKey(await repo.refundsOfPayments(paymentScope(), ids), ids, (r) => r.paymentId),
          ),
        },
      };
    },
    ready: async () => {
      await pingDatabase(deps.knex);
    },
  });
  return { ...srv, service, store };
}
