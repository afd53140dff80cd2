import { z } from 'zod';

/** What assets needs beyond every subgraph's environment (see runSubgraphMain). */
export const AssetsEnv = z.object({
  TENANTS_URL: z
    .string()
    .url()
    .default('http://127.0.0.1:4001/graphql')
    .describe('The tenants subgraph itself (not the router: `tenantQuotas` is @inaccessible there), asked for quotas when stations and chargers are created.'),
  ASSETS_SIGNING_KEY_FILE: z
    .string({ required_error: 'path to the private JWK the assets service signs service tokens with' })
    .min(1)
    .describe('Private JWK the assets service signs its service tokens with (issuer `evcs-assets`).'),
});
