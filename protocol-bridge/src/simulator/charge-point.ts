import { RPCClient } from 'ocpp-rpc';
import type { BootNotificationConfirmation, ChargePointErrorCode, ChargePointStatus, HeartbeatConfirmation } from '../ocpp/messages';

export interface SimulatedChargePointOptions {
  /** Central system base URL, e.g. ws://127.0.0.1:4100/ocpp; the id is appended as the last path segment. */
  url: string;
  id: string;
  vendor?: string;
  model?: string;
  /**
   * Validate our own calls against the OCPP schemas before sending (default
   * true). Tests turn it off to send malformed messages on purpose.
   */
  strictMode?: boolean;
  /** Reconnect with backoff after the connection drops (default false). */
  reconnect?: boolean;
  callTimeoutMs?: number;
}

type ClientOptions = ConstructorParameters<typeof RPCClient>[0];

/**
 * A simulated OCPP 1.6-J charge point: enough of a charger to drive the
 * bridge in tests, demos and load runs.
 */
export class SimulatedChargePoint {
  readonly id: string;
  private readonly client: RPCClient;
  private heartbeatTimer?: NodeJS.Timeout;
  private heartbeatIntervalS?: number;

  constructor(private readonly opts: SimulatedChargePointOptions) {
    this.id = opts.id;
    const options: Partial<ClientOptions> = {
      endpoint: opts.url.replace(/\/+$/, ''),
      identity: opts.id,
      protocols: ['ocpp1.6'],
      strictMode: opts.strictMode ?? true,
      reconnect: opts.reconnect ?? false,
      callTimeoutMs: opts.callTimeoutMs ?? 30_000,
    };
    // ocpp-rpc's typings mark every option required; the library fills in defaults.
    this.client = new RPCClient(options as ClientOptions);
    this.client.on('open', () => this.scheduleHeartbeat());
    this.client.on('close', () => this.stopHeartbeat());
    this.client.on('disconnect', () => this.stopHeartbeat());
  }

  /** The underlying client, for tests that need its events. */
  get rpc(): RPCClient {
    return this.client;
  }

  get isOpen(): boolean {
    return this.client.state === RPCClient.OPEN;
  }

  /** Rejects (UnexpectedHttpResponse with `code`) if the central system refuses the upgrade. */
  async connect(): Promise<void> {
    await this.client.connect();
  }

  async boot(): Promise<BootNotificationConfirmation> {
    const conf = (await this.client.call('BootNotification', {
      chargePointVendor: this.opts.vendor ?? 'EVCS',
      chargePointModel: this.opts.model ?? 'SimCharger',
      chargePointSerialNumber: this.id.slice(-25),
      firmwareVersion: 'sim-1.0.0',
    })) as BootNotificationConfirmation;
    if (conf.status === 'Accepted') {
      this.heartbeatIntervalS = conf.interval;
      this.scheduleHeartbeat();
    }
    return conf;
  }

  async heartbeat(): Promise<HeartbeatConfirmation> {
    return (await this.client.call('Heartbeat', {})) as HeartbeatConfirmation;
  }

  async status(connectorId: number, status: ChargePointStatus, opts: { errorCode?: ChargePointErrorCode; info?: string; timestamp?: Date } = {}): Promise<void> {
    await this.client.call('StatusNotification', {
      connectorId,
      errorCode: opts.errorCode ?? 'NoError',
      status,
      timestamp: (opts.timestamp ?? new Date()).toISOString(),
      ...(opts.info !== undefined ? { info: opts.info } : {}),
    });
  }

  /** Any call, unchecked unless strictMode is on: for sending what a real charger should not. */
  call(action: string, payload: unknown): Promise<unknown> {
    return this.client.call(action, payload);
  }

  async close(): Promise<void> {
    this.stopHeartbeat();
    await this.client.close({ code: 1000, reason: 'Simulator stopping' });
  }

  private scheduleHeartbeat(): void {
    this.stopHeartbeat();
    if (!this.heartbeatIntervalS || !this.isOpen) return;
    this.heartbeatTimer = setInterval(() => {
      this.heartbeat().catch(() => undefined);
    }, this.heartbeatIntervalS * 1000);
    this.heartbeatTimer.unref();
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }
}
