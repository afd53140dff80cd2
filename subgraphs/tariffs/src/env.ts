import { z } from 'zod';

/** What tariffs needs beyond every subgraph's environment (see runSubgraphMain). */
export const TariffsEnv = z.object({
  /** The assets subgraph itself: a binding takes the charger's station and protocol from there. */
  ASSETS_URL: z.string().url().default('http://127.0.0.1:4002/graphql'),
  TARIFFS_SIGNING_KEY_FILE: z.string({ required_error: "path to the tariffs service's private JWK (service tokens)" }).min(1),
});
