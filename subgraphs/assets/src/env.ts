import { DIAGNOSTICS_SECRET_MIN } from '@evcs/platform';
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
  ASSETS_DIAGNOSTICS_UPLOAD_URL: z
    .string()
    .url()
    .refine((u) => /^https?:\/\//i.test(u), { message: 'must be an http or https URL' })
    .optional()
    .describe(
      'Base URL chargers reach this service at for diagnostics uploads (GetDiagnostics): files go to `<url>/diagnostics/<uploadId>/<token>`. With DIAGNOSTICS_UPLOAD_SECRET; unset, getChargerDiagnostics answers NOT_SUPPORTED.',
    ),
  DIAGNOSTICS_UPLOAD_SECRET: z
    .string()
    .min(DIAGNOSTICS_SECRET_MIN)
    .optional()
    .describe('Shared with the protocol bridge (the same value there): diagnostics upload tokens derive from it; only their hashes are stored.'),
});

/** Diagnostics uploads as configured: both variables or neither. */
export function diagnosticsUploadsOf(env: z.infer<typeof AssetsEnv>): { baseUrl: string; secret: string } | undefined {
  const url = env.ASSETS_DIAGNOSTICS_UPLOAD_URL;
  const secret = env.DIAGNOSTICS_UPLOAD_SECRET;
  if (Boolean(url) !== Boolean(secret)) throw new Error('ASSETS_DIAGNOSTICS_UPLOAD_URL and DIAGNOSTICS_UPLOAD_SECRET go together');
  return url && secret ? { baseUrl: url, secret } : undefined;
}
