import { CHARGER_EVENTS_TOPIC } from '@evcs/events';

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
}

export const DEFAULT_BRIDGE_CONFIG: Omit<BridgeConfig, 'bridgeId'> = {
  heartbeatIntervalS: 300,
  topic: CHARGER_EVENTS_TOPIC,
  publishLingerMs: 2,
  publishMaxBatch: 500,
  shutdownTimeoutMs: 10_000,
};

export function bridgeConfig(values: Partial<BridgeConfig> & Pick<BridgeConfig, 'bridgeId'>): BridgeConfig {
  const given = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined));
  return { ...DEFAULT_BRIDGE_CONFIG, ...given } as BridgeConfig;
}
