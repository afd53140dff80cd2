import { z } from 'zod';

/** What tenants needs beyond every subgraph's environment (see runSubgraphMain). */
export const TenantsEnv = z.object({
  AUTH_SIGNING_KEYS_FILE: z
    .string({ required_error: 'path to the private JWKs that sign access tokens ({"keys": [...]}, first signs)' })
    .min(1)
    .describe('Private JWKs signing access tokens, `{"keys": [...]}`; the first signs, the others still verify (rotation: docs/identity.md).'),
});
