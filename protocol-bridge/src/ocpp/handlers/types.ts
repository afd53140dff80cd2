import type { Logger } from '@evcs/platform';
import type { BridgeConfig } from '../../config';
import type { ChargerSession } from '../../connections/charger-session';
import type { ProtocolMetrics } from '../../connections/diagnostics';
import type { BridgeStore, IdTagAuthority } from '../../ports';

/** What a handler gets besides the (schema-validated) request. */
export interface OcppCallContext {
  session: ChargerSession;
  config: Pick<BridgeConfig, 'heartbeatIntervalS'>;
  store: BridgeStore;
  metrics: ProtocolMetrics;
  /** The tenant's id-token authority. */
  idTags: IdTagAuthority;
  /** The charger's station (free vending may be per station). */
  stationId?: string;
  /** Tags the platform sent this charger in RemoteStartTransaction: authorised already. */
  remoteStartTags?: { has(idTag: string): boolean };
  log: Logger;
  /** The security profile the charger connected with (0: commissioning, no password). */
  securityProfile: 0 | 1 | 2;
  now(): Date;
}

/**
 * One OCPP action, charger → central system. A handler that publishes an event
 * replies only after the publish resolved; if it throws, the charger gets a
 * CALLERROR and sends the message again, so nothing is acknowledged and lost.
 */
export type OcppHandler<Req, Conf> = (ctx: OcppCallContext, req: Req) => Promise<Conf>;
