import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as jose from 'jose';
import { exportSigningKey, generateSigningKey, importSigningKey, issuerBoundJwks, SigningKey } from '@evcs/platform';

/**
 * Local signing keys. Generated on first use into a directory outside the repo's
 * tracked files (.cache/keys) — never committed. Production supplies its own
 * through the same *_FILE environment variables.
 */
export interface DevKeys {
  dir: string;
  /** private JWK the router signs internal tokens with */
  routerKeyFile: string;
  /** private JWK the bridge signs service tokens with */
  bridgeKeyFile: string;
  /** private JWK the assets subgraph signs service tokens with (asking tenants for quotas) */
  assetsKeyFile: string;
  /** private JWK the orders subgraph signs service tokens with (charger lookups, pricing) */
  ordersKeyFile: string;
  /** private JWK the tariffs subgraph signs service tokens with (charger lookups for bindings) */
  tariffsKeyFile: string;
  /** private JWK the payments subgraph signs service tokens with (payable orders it has not heard of yet) */
  paymentsKeyFile: string;
  /** private JWK that signs client access tokens (the tenants subgraph's login) */
  authKeyFile: string;
  /** the tenants subgraph's signing key ring ({"keys": [...]}, first signs): AUTH_SIGNING_KEYS_FILE */
  authKeysFile: string;
  /** public keys subgraphs trust for internal tokens */
  internalJwksFile: string;
  /** public keys the router trusts for client access tokens */
  clientJwksFile: string;
}

async function ensureKey(file: string, kid: string): Promise<SigningKey> {
  if (existsSync(file)) return importSigningKey(readFileSync(file, 'utf8'));
  const key = await generateSigningKey(kid);
  writeFileSync(file, await exportSigningKey(key), { mode: 0o600 });
  return key;
}

export async function ensureDevKeys(dir: string): Promise<DevKeys> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const f = (n: string) => path.join(dir, n);
  const stamp = new Date().toISOString().slice(0, 10);
  const router = await ensureKey(f('router.jwk.json'), `router-${stamp}`);
  const bridge = await ensureKey(f('bridge.jwk.json'), `bridge-${stamp}`);
  const assets = await ensureKey(f('assets.jwk.json'), `assets-${stamp}`);
  const orders = await ensureKey(f('orders.jwk.json'), `orders-${stamp}`);
  const tariffs = await ensureKey(f('tariffs.jwk.json'), `tariffs-${stamp}`);
  const payments = await ensureKey(f('payments.jwk.json'), `payments-${stamp}`);
  const auth = await ensureKey(f('auth.jwk.json'), `auth-${stamp}`);
  // each key bound to the one issuer it signs for: subgraphs refuse a token signed for another
  const internal = issuerBoundJwks({
    'evcs-router': [router.publicJwk],
    'evcs-bridge': [bridge.publicJwk],
    'evcs-assets': [assets.publicJwk],
    'evcs-orders': [orders.publicJwk],
    'evcs-tariffs': [tariffs.publicJwk],
    'evcs-payments': [payments.publicJwk],
  });
  const client: jose.JSONWebKeySet = { keys: [auth.publicJwk] };
  writeFileSync(f('internal.jwks.json'), JSON.stringify(internal, null, 2));
  writeFileSync(f('client.jwks.json'), JSON.stringify(client, null, 2));
  writeFileSync(f('auth-keys.json'), JSON.stringify({ keys: [JSON.parse(readFileSync(f('auth.jwk.json'), 'utf8'))] }), { mode: 0o600 });
  return {
    dir,
    routerKeyFile: f('router.jwk.json'),
    bridgeKeyFile: f('bridge.jwk.json'),
    assetsKeyFile: f('assets.jwk.json'),
    ordersKeyFile: f('orders.jwk.json'),
    tariffsKeyFile: f('tariffs.jwk.json'),
    paymentsKeyFile: f('payments.jwk.json'),
    authKeyFile: f('auth.jwk.json'),
    authKeysFile: f('auth-keys.json'),
    internalJwksFile: f('internal.jwks.json'),
    clientJwksFile: f('client.jwks.json'),
  };
}

/**
 * A client access token shaped as the tenants subgraph issues it (issuer
 * evcs-tenants, audience evcs-api), for tests and benchmarks that need many
 * identities without many users. Real sign-in is `login` through the router.
 */
export async function mintClientToken(
  keys: DevKeys,
  claims: {
    subject: string;
    tenantId: string;
    roles?: string[];
    permissions?: string[];
    dataScope?: string;
    visibleTenantIds?: string[];
    stationIds?: string[];
  },
  ttl = '12h',
): Promise<string> {
  const key = await importSigningKey(readFileSync(keys.authKeyFile, 'utf8'));
  return new jose.SignJWT({
    kind: 'user',
    tid: claims.tenantId,
    roles: claims.roles ?? [],
    perms: claims.permissions ?? [],
    ds: claims.dataScope ?? 'TENANT',
    vt: claims.visibleTenantIds ?? [claims.tenantId],
    ...(claims.stationIds ? { st: claims.stationIds } : {}),
  })
    .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'JWT' })
    .setSubject(claims.subject)
    .setIssuer('evcs-tenants')
    .setAudience('evcs-api')
    .setIssuedAt()
    .setExpirationTime(ttl)
    .sign(key.privateKey);
}
