import { CHARGER_COMMANDS_TOPIC, CHARGER_EVENTS_TOPIC } from '@evcs/events';

/** Settings of one bridge instance. Built from the environment in main.ts, or directly in tests. */
export interface BridgeConfig {
  /** Names this bridge process in every event's `source.bridgeId`. */
  bridgeId: string;
  /** Heartbeat interval told to chargers in the BootNotification reply. */
  heartbeatIntervalS: number;
  /** Topic charger events go to; tests use a unique one. */
  topic: string;
  /**
   * How long the publisher waits to gather events from many chargers into one
   * produce request. Kafka round trips, not event count, limit throughput.
   */
  publishLingerMs: number;
  publishMaxBatch: number;
  /** How long a shutdown waits for chargers to close cleanly before cutting them off. */
  shutdownTimeoutMs: number;
  /** WebSocket ping interval for OCPP connections, each within ±10 % of it (a ping unanswered by the next one closes the connection). 0 disables. */
  pingIntervalMs: number;
  /**
   * A charger that sent nothing (no message, no pong) for this long is
   * disconnected and so reported offline. Default: two heartbeat intervals plus a minute.
   */
  silenceTimeoutMs?: number;
  /** How often the liveness sweep runs and this bridge refreshes its rows in the connection registry. */
  sweepIntervalMs: number;
  /** A registry row not refreshed for this long belongs to a dead bridge: its charger counts as offline. */
  connectionStaleMs: number;
  /** Topic platform commands arrive on. */
  commandTopic: string;
  /** Tariff changes, to push new billing models to YKC piles. Unset: no pushing (piles get models at login). */
  tariffEventsTopic?: string;
  /** Id-tag changes, to keep OCPP chargers' local authorization lists in step. Unset: lists are left alone. */
  idTagEventsTopic?: string;
  /** Asset changes, to forget cached charger registrations at once. Unset: cached ones answer until their TTL. */
  assetEventsTopic?: string;
  /** Balance (fen) a YKC pile is told an authorised card may spend (0x32). */
  ykcCardBalanceFen?: number;
  /** How long a charger's password, once verified (scrypt), is taken on trust against the same hash; 0: never. Default 10 minutes. */
  authCacheTtlMs?: number;
  /** Chargers whose verified password is remembered at most. Default 100,000. */
  authCacheMaxEntries?: number;
  /** scrypt checks running at once (the rest queue). Default: twice the cores, below libuv's pool size. */
  scryptConcurrency?: number;
  /** Shared with assets: diagnostics upload tokens derive from it (GetDiagnostics). Unset: GetDiagnostics answers NOT_SUPPORTED. */
  diagnosticsUploadSecret?: string;
  /**
   * The edge's addresses or CIDRs (BRIDGE_TRUSTED_PROXIES). An OCPP upgrade from one of them is
   * taken to come from the address its X-Forwarded-For names; a YKC connection from one of them
   * must open with a PROXY protocol header naming the pile's address. Empty: every peer is the
   * charger itself, and neither header is believed.
   */
  trustedProxies?: readonly string[];
}

export const DEFAULT_BRIDGE_CONFIG: Omit<BridgeConfig, 'bridgeId'> = {
  heartbeatIntervalS: 300,
  topic: CHARGER_EVENTS_TOPIC,
  publishLingerMs: 2,
  publishMaxBatch: 500,
  shutdownTimeoutMs: 10_000,
  pingIntervalMs: 30_000,
  sweepIntervalMs: 15_000,
  connectionStaleMs: 60_000,
  commandTopic: CHARGER_COMMANDS_TOPIC,
};

export function silenceTimeoutMs(config: BridgeConfig): number {
  return config.silenceTimeoutMs ?? config.heartbeatIntervalS * 2_000 + 60_000;
}

export function bridgeConfig(values: Partial<BridgeConfig> & Pick<BridgeConfig, 'bridgeId'>): BridgeConfig {
  const given = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined));
  return { ...DEFAULT_BRIDGE_CONFIG, ...given } as BridgeConfig;
}
