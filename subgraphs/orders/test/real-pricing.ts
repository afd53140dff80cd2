import {
  createKnex,
  createLogger,
  generateSigningKey,
  internalTokenVerifier,
  issuerBoundJwks,
  Knex,
  listen,
  ServiceGraphQLClient,
  type SigningKey,
  TokenIssuer,
} from '@evcs/platform';
import type { TestDatabase } from '@evcs/testkit';
import { createTariffsServer, seedDemoTariffs, TariffsServer } from '@evcs/tariffs';
import { TariffsPricer } from '../src/clients/tariffs-pricer';

export interface RealPricing {
  /** prices as orders does in production: the tariffs service over HTTP, with orders' service token */
  pricer: TariffsPricer;
  /** the router's signing key (its tokens are what the services accept from clients) */
  routerKey: SigningKey;
  router: TokenIssuer;
  tariffsUrl: string;
  stop(): Promise<void>;
}

/** A real tariffs server on port 0 in the test's database, the demo plan seeded for `tenantId`. */
export async function startRealPricing(db: TestDatabase, ordersKnex: Knex, tenantId: string): Promise<RealPricing> {
  const routerKey = await generateSigningKey('router-k');
  const ordersKey = await generateSigningKey('orders-k');
  const tariffsKnex = createKnex({ connectionString: db.appUrl, schema: 'tariffs', pool: { max: 4 } });
  const tariffs: TariffsServer = await createTariffsServer({
    knex: tariffsKnex,
    verifier: internalTokenVerifier(issuerBoundJwks({ 'evcs-router': [routerKey.publicJwk], 'evcs-orders': [ordersKey.publicJwk] })),
    logger: createLogger('tariffs-test', { level: 'silent' }),
  });
  const tariffsUrl = `http://127.0.0.1:${await listen(tariffs.server, 0)}/graphql`;
  await seedDemoTariffs(ordersKnex, tenantId);
  return {
    pricer: new TariffsPricer(new ServiceGraphQLClient({ url: tariffsUrl, tokens: new TokenIssuer(ordersKey, 'evcs-orders'), subject: 'orders' })),
    routerKey,
    router: new TokenIssuer(routerKey, 'evcs-router'),
    tariffsUrl,
    stop: async () => {
      await tariffs.stop();
      // The server doesn't own the pool it was given; a pool left open keeps jest alive until its connections idle out.
      await tariffsKnex.destroy();
    },
  };
}
