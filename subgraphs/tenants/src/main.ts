import { z } from 'zod';
import { parseEnv, runSubgraphMain } from '@evcs/platform';
import { KeyRing } from './auth/key-ring';
import { createTenantsServer } from './server';

const Env = z.object({
  AUTH_SIGNING_KEYS_FILE: z.string({ required_error: 'path to the private JWKs that sign access tokens ({"keys": [...]}, first signs)' }).min(1),
});

runSubgraphMain({
  name: 'tenants',
  defaultPort: 4001,
  createServer: async (rt) => {
    const env = parseEnv(Env);
    return createTenantsServer({ ...rt, keys: await KeyRing.load(env.AUTH_SIGNING_KEYS_FILE) });
  },
});
