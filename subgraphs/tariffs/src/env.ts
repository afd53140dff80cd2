import { z } from 'zod';

/** What tariffs needs beyond every subgraph's environment (see runSubgraphMain). */
export const TariffsEnv = z.object({
  ASSETS_URL: z
    .string()
    .url()
    .default('http://127.0.0.1:4002/graphql')
    .describe("The assets subgraph: a binding (`bindChargerTariff`) takes the charger's station and protocol from there."),
  ORDERS_URL: z
    .string()
    .url()
    .default('http://127.0.0.1:4004/graphql')
    .describe(
      "The orders subgraph itself (its `completedSessionsForPricing` is @inaccessible through the router): `tariffImpact` re-prices a station's completed sessions read from there.",
    ),
  TARIFFS_SIGNING_KEY_FILE: z
    .string({ required_error: "path to the tariffs service's private JWK (service tokens)" })
    .min(1)
    .describe('Private JWK the tariffs service signs its service tokens with (issuer `evcs-tariffs`).'),
});
