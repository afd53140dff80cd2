import type { Logger } from '@evcs/platform';
import type { BridgeConfig } from '../../config';
import type { ChargerSession } from '../../connections/charger-session';
import type { FrameLog, ProtocolMetrics } from '../../connections/diagnostics';
import type { EventStamp } from '../../connections/events';
import type { ConnectionRegistry } from '../../connections/registry';
import type { BillingModelSource, BridgeStore, ChargerDirectory, ChargerEventPublisher, ChargerSecurityRecorder, IdTagAuthority } from '../../ports';
import type { YkcConnection } from '../connection';
import type { DesKeyring } from '../des';
import type { YkcFrame } from '../frame';

/** What every YKC connection of one server shares. */
export interface YkcServices {
  directory: ChargerDirectory;
  publisher: ChargerEventPublisher;
  store: BridgeStore;
  /** Learned identities and refused logins go to assets. */
  security: ChargerSecurityRecorder;
  registry: ConnectionRegistry;
  billingModels: BillingModelSource;
  /** 3DES keys of piles registered with a desKeyRef (ENC = 0x01). */
  desKeys: DesKeyring;
  /** Card starts (0x31) are decided by the tenant's id-token authority. */
  idTags: IdTagAuthority;
  metrics: ProtocolMetrics;
  frames: FrameLog;
  config: BridgeConfig;
  logger: Logger;
  now(): Date;
  stamp(): EventStamp;
  /** False once the server is shutting down: logins are refused. */
  accepting(): boolean;
}

/** What a handler gets besides the decoded message: the connection it came on, its frame, the logged-in pile's session. */
export interface YkcCallContext {
  conn: YkcConnection;
  services: YkcServices;
  frame: YkcFrame;
  session: ChargerSession;
}

/**
 * One pile-to-platform message type of a logged-in pile. A handler that
 * acknowledges data replies only after its events were published; if it
 * throws, the pile gets no reply and sends the message again.
 */
export type YkcHandler<M> = (ctx: YkcCallContext, message: M) => Promise<void>;
