import { z } from 'zod';

/** What assets needs beyond every subgraph's environment (see runSubgraphMain). */
export const AssetsEnv = z.object({
  /** The tenants subgraph itself (tenantQuotas is @inaccessible through the router). */
  TENANTS_URL: z.string().url().default('http://127.0.0.1:4001/graphql'),
  /** Private JWK the assets service signs its service tokens with. */
  ASSETS_SIGNING_KEY_FILE: z.string({ required_error: 'path to the private JWK the assets service signs service tokens with' }).min(1),
});
