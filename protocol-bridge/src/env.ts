import { hostname } from 'node:os';
import { ASSET_EVENTS_TOPIC, CHARGER_COMMANDS_TOPIC, CHARGER_EVENTS_TOPIC, IDTAG_EVENTS_TOPIC, TARIFF_EVENTS_TOPIC } from '@evcs/events';
import { commonEnv, DIAGNOSTICS_SECRET_MIN, envFields, kafkaNames, trustedProxiesField } from '@evcs/platform';
import { z } from 'zod';
import { DES_MODES } from './ykc/des';

/**
 * The bridge's environment beside the common variables, parsed once at start-up (all problems
 * reported together). Its topics are named within KAFKA_NAMESPACE (bridgeTopics), as every service's.
 */
export const BridgeEnv = commonEnv(4100)
  .extend({
    ASSETS_URL: z
      .string()
      .url()
      .default('http://127.0.0.1:4002/graphql')
      .describe('The assets subgraph: charger registrations and security (cached 10 s), learned YKC identities, refused logins (audited there).'),
    TARIFFS_URL: z.string().url().default('http://127.0.0.1:4003/graphql').describe('The tariffs subgraph: billing models for YKC piles (0x09).'),
    TENANTS_URL: z
      .string()
      .url()
      .default('http://127.0.0.1:4001/graphql')
      .describe('The tenants subgraph: the id-token authority (Authorize, StartTransaction, StopTransaction, YKC card starts).'),
    BRIDGE_SIGNING_KEY_FILE: z
      .string({ required_error: 'path to the private JWK the bridge signs service tokens with' })
      .min(1)
      .describe("Private JWK (JSON) of the bridge's internal-token signing key (issuer `evcs-bridge`)."),
    BRIDGE_ID: z
      .string()
      .min(1)
      .max(100)
      .default(`${hostname()}-${process.pid}`)
      .describe("This instance's stable name: its rows in the connection registry and the commands routed to the chargers connected here."),
    HEARTBEAT_INTERVAL_S: z.coerce.number().int().min(1).max(86_400).default(300).describe('Heartbeat interval (seconds) given to OCPP chargers at boot.'),
    SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000).describe('How long a drain (SIGTERM) waits for connections to close.'),
    DATABASE_URL: z
      .string({ required_error: 'Postgres URL of the application role' })
      .url()
      .describe('Postgres (application role): transaction ids, YKC record dedup, the connection registry (charger credentials live in assets).'),
    YKC_PORT: envFields.port(4101).describe('TCP port YKC piles connect to (plain TCP).'),
    YKC_HOST: z.string().min(1).optional().describe('Address of the YKC listener when it differs from HOST (the common one, which the OCPP listener binds).'),
    TLS_KEY_FILE: z
      .string()
      .min(1)
      .optional()
      .describe('OCPP security profile 2: PEM private key; the bridge then serves `wss://` (with TLS_CERT_FILE: both or neither).'),
    TLS_CERT_FILE: z.string().min(1).optional().describe('PEM certificate chain for TLS_KEY_FILE.'),
    PING_INTERVAL_MS: z.coerce
      .number()
      .int()
      .min(0)
      .default(30_000)
      .describe('WebSocket ping interval towards OCPP chargers (0: off); a charger that stops answering is dropped.'),
    BRIDGE_AUTH_CACHE_TTL_S: z.coerce
      .number()
      .int()
      .min(0)
      .max(86_400)
      .default(600)
      .describe(
        "How long (seconds) an OCPP charger's password, once verified with scrypt, is taken on trust: its reconnects with the same password against the same credential skip scrypt. A rotation, a revocation or another password is verified afresh. 0: every connect runs scrypt.",
      ),
    BRIDGE_AUTH_CACHE_MAX: z.coerce
      .number()
      .int()
      .min(1)
      .default(100_000)
      .describe('Chargers whose verified password is remembered at most (least recently admitted forgotten first; ~0.4 KB each, measured).'),
    BRIDGE_SCRYPT_CONCURRENCY: z.coerce
      .number()
      .int()
      .min(1)
      .optional()
      .describe(
        "scrypt password checks running at once; the rest queue. Default: twice the cores, at most libuv's pool size (UV_THREADPOOL_SIZE, 4) less one.",
      ),
    YKC_CARD_BALANCE_FEN: z.coerce
      .number()
      .int()
      .min(1)
      .max(4_294_967_295)
      .default(20_000)
      .describe('Balance (fen) a YKC pile is told an authorised card may spend (0x32); piles refuse to start on 0.'),
    YKC_DES_KEYS_FILE: z
      .string()
      .min(1)
      .optional()
      .describe('JSON `{ "<desKeyRef>": "<32 or 48 hex digits>" }`: the 3DES keys of YKC piles registered with a desKeyRef.'),
    YKC_DES_MODE: z
      .enum(DES_MODES)
      .default('ecb')
      .describe('Block mode of YKC 3DES bodies (the protocol does not fix it): ecb (the usual choice) or cbc with a zero IV.'),
    DIAGNOSTICS_UPLOAD_SECRET: z
      .string()
      .min(DIAGNOSTICS_SECRET_MIN)
      .optional()
      .describe(
        'Shared with assets (the same value there): the one-time tokens of diagnostics upload URLs derive from it, so no token travels in a command. Unset: GetDiagnostics is refused NOT_SUPPORTED.',
      ),
    BRIDGE_TRUSTED_PROXIES: trustedProxiesField().describe(
      "The edge's addresses or CIDRs, comma-separated (also proxy-addr's names `loopback`, `linklocal`, `uniquelocal`). From these only, an OCPP upgrade's X-Forwarded-For names the charger's address (walked from the right, as the router does), and a YKC connection must open with a PROXY protocol header (v1 or v2) naming the pile's; from any other peer neither is believed and a PROXY header closes the connection. The address is what allowedSourceCidrs are checked against and what is logged and audited. Empty: the socket's peer is the charger.",
    ),
    DEBUG_TOKEN: z.string().min(16).optional().describe('Enables POST /debug/graphql for operators presenting this bearer token (at least 16 characters).'),
  })
  .refine((e) => Boolean(e.TLS_KEY_FILE) === Boolean(e.TLS_CERT_FILE), { message: 'TLS_KEY_FILE and TLS_CERT_FILE go together', path: ['TLS_CERT_FILE'] });
export type BridgeEnv = z.infer<typeof BridgeEnv>;

/**
 * The bridge's topics within the deployment's namespace: charger events out, platform commands
 * in, tariff changes (new billing models pushed to connected YKC piles), id-tag changes
 * (connected OCPP chargers' local lists kept in step) and asset changes (the charger directory's
 * cache).
 */
export function bridgeTopics(env: Pick<BridgeEnv, 'KAFKA_NAMESPACE'>) {
  const names = kafkaNames(env.KAFKA_NAMESPACE);
  return {
    topic: names.topic(CHARGER_EVENTS_TOPIC),
    commandTopic: names.topic(CHARGER_COMMANDS_TOPIC),
    tariffEventsTopic: names.topic(TARIFF_EVENTS_TOPIC),
    idTagEventsTopic: names.topic(IDTAG_EVENTS_TOPIC),
    assetEventsTopic: names.topic(ASSET_EVENTS_TOPIC),
  };
}
