import { isTimeZone } from '@evcs/platform';
import { z } from 'zod';

/** What orders needs beyond every subgraph's environment (see runSubgraphMain). */
export const OrdersEnv = z.object({
  ASSETS_URL: z
    .string()
    .url()
    .default('http://127.0.0.1:4002/graphql')
    .describe("The assets subgraph: charger lookups for chargers orders' projection does not hold yet (docs/orders.md)."),
  ORDERS_CHARGER_SOURCE: z
    .enum(['projection', 'assets'])
    .default('projection')
    .describe(
      "Where a start and the charger-events consumer find a charger: `projection` (orders' own copy, fed by asset events; assets asked only for one not projected yet) or `assets` (a service call every time, as before the projection: for comparing in benchmarks).",
    ),
  TARIFFS_URL: z.string().url().default('http://127.0.0.1:4003/graphql').describe('The tariffs subgraph: session pricing (docs/orders.md).'),
  RECONCILIATION_TIMEZONE: z
    .string()
    .default('Asia/Shanghai')
    .refine(isTimeZone, 'not an IANA time zone')
    .describe('IANA time zone whose midnight ends the business day the nightly reconciliation covers.'),
  ORDERS_SIGNING_KEY_FILE: z
    .string({ required_error: "path to the orders service's private JWK (service tokens)" })
    .min(1)
    .describe('Private JWK the orders service signs its service tokens with (issuer `evcs-orders`).'),
});
export type OrdersEnvValues = z.infer<typeof OrdersEnv>;
