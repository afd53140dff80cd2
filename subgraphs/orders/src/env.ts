import { isTimeZone } from '@evcs/platform';
import { z } from 'zod';

/** What orders needs beyond every subgraph's environment (see runSubgraphMain). */
export const OrdersEnv = z.object({
  ASSETS_URL: z.string().url().default('http://127.0.0.1:4002/graphql'),
  TARIFFS_URL: z.string().url().default('http://127.0.0.1:4003/graphql'),
  RECONCILIATION_TIMEZONE: z.string().default('Asia/Shanghai').refine(isTimeZone, 'not an IANA time zone'),
  ORDERS_SIGNING_KEY_FILE: z.string({ required_error: "path to the orders service's private JWK (service tokens)" }).min(1),
});
export type OrdersEnvValues = z.infer<typeof OrdersEnv>;
