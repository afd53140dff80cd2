import { createSubgraphServer, Knex, Logger, pingDatabase, requestReadScopes, sendJson, SubgraphServer, TokenVerifier } from '@evcs/platform';
import type { TenantsContext } from './context';
import { KeyRing, KeyRingTokenIssuer } from './auth/key-ring';
import { actorOf } from './domain/access';
import { AdminService } from './domain/admin-service';
import { AuthService, AuthSettings, DEFAULT_AUTH_SETTINGS } from './domain/auth-service';
import { Clock, systemClock } from './domain/clock';
import { IdTagService } from './domain/id-tag-service';
import { PasswordHasher } from './domain/password';
import { PgIdentityStore } from './persistence/identity-store';
import { PgIdTagStore } from './persistence/id-tag-store';
import { createLoaders } from './persistence/loaders';
import { TenantsReadRepository } from './persistence/read-repository';
import { buildTenantsSchema, SUBGRAPH_NAME } from './schema';

/** The operations that make a token: callable without one. */
export const PUBLIC_ROOT_FIELDS = ['login', 'refreshToken'];
export const JWKS_PATH = '/.well-known/jwks.json';

export interface TenantsDeps {
  knex: Knex;
  verifier: TokenVerifier;
  logger: Logger;
  /** signing keys of client access tokens */
  keys: KeyRing;
  hasher?: PasswordHasher;
  clock?: Clock;
  auth?: Partial<AuthSettings>;
}

/** Builds the tenants subgraph HTTP server (GraphQL, JWKS, health); never listens. */
export async function createTenantsServer(deps: TenantsDeps): Promise<SubgraphServer> {
  const store = new PgIdentityStore(deps.knex);
  const hasher = deps.hasher ?? new PasswordHasher();
  const issuer = new KeyRingTokenIssuer(deps.keys);
  const auth = new AuthService(store, issuer, hasher, deps.clock ?? systemClock, { ...DEFAULT_AUTH_SETTINGS, ...deps.auth });
  const admin = new AdminService(store, hasher, issuer.tokenClock);
  const repo = new TenantsReadRepository(deps.knex);
  const idTags = new IdTagService(new PgIdTagStore(deps.knex), deps.clock ?? systemClock);
  return createSubgraphServer<TenantsContext>({
    name: SUBGRAPH_NAME,
    schema: await buildTenantsSchema(),
    verifier: deps.verifier,
    logger: deps.logger,
    publicRootFields: PUBLIC_ROOT_FIELDS,
    publicGetRoutes: {
      [JWKS_PATH]: async (res) => {
        res.setHeader('cache-control', 'public, max-age=60');
        sendJson(res, 200, await deps.keys.jwks());
      },
    },
    extendContext: (base) => {
      const readScope = requestReadScopes(base.identity, 'forbidden');
      return {
        ...base,
        services: { auth, admin, idTags },
        reads: { tenants: repo },
        meta: { requestId: base.requestId, ip: base.clientIp },
        readScope,
        actor: () => actorOf(base.identity, base.tenantId()),
        loaders: createLoaders(
          repo,
          () => readScope('tenant:read'),
          () => readScope('user:read'),
        ),
      };
    },
    ready: async () => {
      await pingDatabase(deps.knex);
    },
  });
}
