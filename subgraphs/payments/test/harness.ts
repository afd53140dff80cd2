import { randomUUID } from 'node:crypto';
import {
  BusinessMetrics,
  createKnex,
  createLogger,
  generateSigningKey,
  Identity,
  Knex,
  listen,
  RequestClaims,
  SubgraphMigrations,
  TokenIssuer,
  TokenVerifier,
} from '@evcs/platform';
import type { OrderFactsSink, OrderLookup } from '../src/domain/ports';
import { AlipaySandbox, createAlipaySandbox, createWechatPaySandbox, WechatPaySandbox, WechatPaySandboxOptions } from '@evcs/pay-sandboxes';
import { createTestDatabase, TestDatabase } from '@evcs/testkit';
import { AlipayChannel, createPaymentsServer, migrations, PaymentsServer, PgPaymentStore, ResilienceOptions, ResilientChannel, WechatPayChannel } from '../src';

export const logger = createLogger('payments-test', { level: 'silent' });

/** Every payment permission a finance operator has. */
export const ALL_PERMISSIONS = ['payment:read', 'payment:refund', 'order:write', 'order:read'];

export interface Harness {
  db: TestDatabase;
  knex: Knex;
  owner: Knex;
  alipay: AlipaySandbox;
  wechat: WechatPaySandbox;
  srv: PaymentsServer;
  store: PgPaymentStore;
  baseUrl: string;
  channels: { ALIPAY: ResilientChannel; WECHATPAY: ResilientChannel };
  token(tenantId: string, o?: { permissions?: string[]; subject?: string; dataScope?: Identity['dataScope']; request?: RequestClaims }): Promise<string>;
  gql(query: string, o?: { token?: string; variables?: Record<string, unknown> }): Promise<{ status: number; body: any }>;
  /** an order.completed as the consumer records it */
  payableOrder(tenantId: string, amount: number, o?: { userId?: string }): Promise<string>;
  stop(): Promise<void>;
}

export async function startHarness(
  o: {
    resilience?: ResilienceOptions;
    merchantTenantId?: string;
    business?: BusinessMetrics;
    orders?: OrderLookup;
    orderFacts?: OrderFactsSink;
    migrations?: SubgraphMigrations[];
    /** e.g. `{ signWith: 'certificate' }`: the WeChat Pay channel then starts without keys and fetches the certificates */
    wechat?: WechatPaySandboxOptions;
  } = {},
): Promise<Harness> {
  const db = await createTestDatabase([migrations, ...(o.migrations ?? [])]);
  const knex = createKnex({ connectionString: db.appUrl, schema: 'payments', pool: { max: 10 } });
  const owner = createKnex({ connectionString: db.ownerUrl, schema: 'payments', pool: { max: 2 } });
  // shrunk retry schedules; the real ones are the sandboxes' defaults
  const alipay = createAlipaySandbox({ notifyScheduleMs: [100, 200, 400, 800] });
  const wechat = createWechatPaySandbox({ notifyScheduleMs: [100, 200, 400, 800], refundDelayMs: 100, ...o.wechat });
  const gatewayUrl = `${await alipay.start(0)}/gateway.do`;
  const wxBase = await wechat.start(0);
  const w = wechat.credentials;
  const channels = {
    ALIPAY: new ResilientChannel(new AlipayChannel({ ...alipay.credentials, gatewayUrl, timeoutMs: 2000 }), { backoffMs: 20, ...o.resilience }),
    WECHATPAY: new ResilientChannel(
      new WechatPayChannel({
        appId: w.appId,
        mchId: w.mchId,
        merchantSerialNo: w.merchantSerialNo,
        merchantPrivateKey: w.merchantPrivateKey,
        apiV3Key: w.apiV3Key,
        platformKeys: o.wechat?.signWith === 'certificate' ? {} : { [w.platformPublicKeyId]: w.platformPublicKey },
        // a second download is allowed 2 s after the last (60 s by default), so a test can rotate soon after
        certificateRefreshMinMs: 2_000,
        baseUrl: wxBase,
        timeoutMs: 2000,
      }),
      { backoffMs: 20, ...o.resilience },
    ),
  };
  const routerKey = await generateSigningKey(`router-${randomUUID().slice(0, 8)}`);
  const router = new TokenIssuer(routerKey, 'evcs-router');
  const verifier = new TokenVerifier({ keys: [routerKey.publicJwk] }, ['evcs-router']);
  let baseUrl = '';
  const srv = await createPaymentsServer({
    knex,
    verifier,
    logger,
    channels,
    publicBaseUrl: () => baseUrl,
    merchantTenantId: o.merchantTenantId,
    business: o.business,
    orders: o.orders,
    orderFacts: o.orderFacts,
  });
  baseUrl = `http://127.0.0.1:${await listen(srv.server, 0)}`;
  const store = srv.store;
  const h: Harness = {
    db,
    knex,
    owner,
    alipay,
    wechat,
    srv,
    store,
    baseUrl,
    channels,
    token: (tenantId, t = {}) =>
      router.issue(
        {
          subject: t.subject ?? `user-${tenantId.slice(0, 8)}`,
          kind: 'user',
          tenantId,
          roles: ['TEST'],
          permissions: t.permissions ?? ALL_PERMISSIONS,
          dataScope: t.dataScope ?? 'TENANT',
          visibleTenantIds: [tenantId],
        },
        undefined,
        { request: t.request },
      ),
    gql: async (query, g = {}) => {
      const res = await fetch(`${baseUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(g.token ? { authorization: `Bearer ${g.token}` } : {}) },
        body: JSON.stringify({ query, variables: g.variables }),
      });
      return { status: res.status, body: (await res.json()) as any };
    },
    payableOrder: async (tenantId, amount, p = {}) => {
      const orderId = randomUUID();
      await store.recordPayableOrder({
        tenantId,
        orderId,
        stationId: null,
        userId: p.userId ?? null,
        amount,
        currency: 'CNY',
        description: 'EV charging',
        status: 'PAYABLE',
        source: 'EVENT',
        eventId: randomUUID(),
        completedAt: new Date(),
      });
      return orderId;
    },
    stop: async () => {
      await srv.stop();
      channels.ALIPAY.shutdown();
      channels.WECHATPAY.shutdown();
      await alipay.stop();
      await wechat.stop();
      await knex.destroy();
      await owner.destroy();
      await db.drop();
    },
  };
  return h;
}

export const CREATE = `mutation($i: CreatePaymentInput!) { createPayment(input: $i) {
  payment { id orderId state channel method outTradeNo amount { minor formatted } flags }
  clientParams { qrCodeUrl orderString jsapi { appId timeStamp nonceStr package signType paySign } }
  userErrors { code field message } } }`;
export const REFUND = `mutation($i: RefundPaymentInput!) { refundPayment(input: $i) {
  refund { id state amount { minor } outRefundNo } payment { id refundedAmount { minor } }
  userErrors { code field message } } }`;
export const PAYMENT = `query($id: ID!) { payment(id: $id) { id state flags amount { minor } refundedAmount { minor } channelTradeNo paidAt refunds { id state amount { minor } } } }`;
