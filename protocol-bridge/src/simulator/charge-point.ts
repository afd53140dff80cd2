import { RPCClient } from 'ocpp-rpc';
import type {
  AuthorizeConfirmation,
  BootNotificationConfirmation,
  ChargePointErrorCode,
  ChargePointStatus,
  HeartbeatConfirmation,
  IdTagInfo,
  MeterValue,
  StartTransactionConfirmation,
  StopTransactionConfirmation,
} from '../ocpp/messages';

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
  /** HTTP Basic password (security profiles 1 and 2). */
  password?: string;
  /** Extra options for the underlying WebSocket (e.g. a CA for wss:// in tests). */
  wsOpts?: Record<string, unknown>;
  /** Keep an OCPP local authorization list (Local Auth List Management). Default true; false answers -1 / NotSupported. */
  localAuthList?: boolean;
}

/** How the simulated charger answers the central system's commands; override per test. */
export type CommandResponder = (action: string, params: Record<string, unknown>) => Record<string, unknown> | Promise<Record<string, unknown>>;

const DEFAULT_RESPONSES: Record<string, Record<string, unknown>> = {
  RemoteStartTransaction: { status: 'Accepted' },
  RemoteStopTransaction: { status: 'Accepted' },
  Reset: { status: 'Accepted' },
  UnlockConnector: { status: 'Unlocked' },
  ChangeAvailability: { status: 'Accepted' },
  ChangeConfiguration: { status: 'Accepted' },
  GetConfiguration: { configurationKey: [{ key: 'HeartbeatInterval', readonly: false, value: '300' }], unknownKey: [] },
  TriggerMessage: { status: 'Accepted' },
  ClearCache: { status: 'Accepted' },
};

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
      ...(opts.password !== undefined ? { password: opts.password } : {}),
      ...(opts.wsOpts ? { wsOpts: opts.wsOpts } : {}),
    };
    // ocpp-rpc's typings mark every option required; the library fills in defaults.
    this.client = new RPCClient(options as ClientOptions);
    this.client.on('open', () => this.scheduleHeartbeat());
    this.client.on('close', () => this.stopHeartbeat());
    this.client.on('disconnect', () => this.stopHeartbeat());
    for (const action of ['SendLocalList', 'GetLocalListVersion']) {
      this.client.handle(action, async ({ params }) => {
        const p = (params ?? {}) as Record<string, unknown>;
        this.commandsReceived.push({ action, params: p });
        return this.localListCall(action, p);
      });
    }
    // Reservations are kept like a charger keeps them: the connector shows Reserved and takes only the reserved id tag.
    this.client.handle('ReserveNow', async ({ params }) => {
      const p = params as { connectorId: number; idTag: string; expiryDate: string; reservationId: number };
      this.commandsReceived.push({ action: 'ReserveNow', params: p });
      const held = this.reservations.get(p.connectorId);
      if (held && held.reservationId !== p.reservationId) return { status: 'Occupied' };
      this.reservations.set(p.connectorId, { reservationId: p.reservationId, idTag: p.idTag, expiryDate: new Date(p.expiryDate) });
      setImmediate(() => void this.status(p.connectorId, 'Reserved').catch(() => undefined));
      return { status: 'Accepted' };
    });
    this.client.handle('CancelReservation', async ({ params }) => {
      const p = params as { reservationId: number };
      this.commandsReceived.push({ action: 'CancelReservation', params: p });
      const entry = [...this.reservations].find(([, r]) => r.reservationId === p.reservationId);
      if (!entry) return { status: 'Rejected' };
      this.reservations.delete(entry[0]);
      setImmediate(() => void this.status(entry[0], 'Available').catch(() => undefined));
      return { status: 'Accepted' };
    });
    // Firmware and diagnostics as a charger does them: acknowledge, then report progress in status notifications.
    this.client.handle('UpdateFirmware', async ({ params }) => {
      const p = params as { location: string; retrieveDate: string };
      this.commandsReceived.push({ action: 'UpdateFirmware', params: p });
      const wait = Math.min(Math.max(0, new Date(p.retrieveDate).getTime() - Date.now()), 60_000);
      setTimeout(() => void this.installFirmware(p.location).catch(() => undefined), wait);
      return {};
    });
    this.client.handle('GetDiagnostics', async ({ params }) => {
      const p = params as { location: string };
      this.commandsReceived.push({ action: 'GetDiagnostics', params: p });
      const fileName = `diagnostics-${this.id}.log`;
      setImmediate(() => void this.uploadDiagnostics(p.location, fileName).catch(() => undefined));
      return { fileName };
    });
    for (const action of Object.keys(DEFAULT_RESPONSES)) {
      this.client.handle(action, async ({ params }) => {
        const p = (params ?? {}) as Record<string, unknown>;
        this.commandsReceived.push({ action, params: p });
        if (action === 'RemoteStartTransaction' && !this.mayStart(Number(p.connectorId), String(p.idTag))) return { status: 'Rejected' };
        return this.respond(action, p);
      });
    }
  }

  /** The firmware it reports at boot; an UpdateFirmware installs `sim-<file name>` and boots again. */
  firmwareVersion = 'sim-1.0.0';
  /** What GetDiagnostics uploads (replace per test). */
  diagnosticsContent: Buffer = Buffer.from('simulated diagnostics\n');
  /** The HTTP status of each diagnostics upload it made. */
  readonly diagnosticsUploads: { location: string; status: number }[] = [];

  /** Downloading → Downloaded → Installing → Installed, then a BootNotification with the new version. */
  private async installFirmware(location: string): Promise<void> {
    for (const status of ['Downloading', 'Downloaded', 'Installing', 'Installed']) await this.client.call('FirmwareStatusNotification', { status });
    const file = location.slice(location.lastIndexOf('/') + 1).replace(/\.[^.]*$/, '');
    this.firmwareVersion = `sim-${file || 'updated'}`.slice(0, 50);
    await this.boot();
  }

  /** Uploading, the file PUT to `location`, then Uploaded (2xx) or UploadFailed. */
  private async uploadDiagnostics(location: string, fileName: string): Promise<void> {
    await this.client.call('DiagnosticsStatusNotification', { status: 'Uploading' });
    let status = 0;
    try {
      const res = await fetch(location, {
        method: 'PUT',
        headers: { 'content-type': 'application/octet-stream', 'content-disposition': `attachment; filename="${fileName}"` },
        body: this.diagnosticsContent,
      });
      status = res.status;
      await res.arrayBuffer();
    } catch {
      status = 0;
    }
    this.diagnosticsUploads.push({ location, status });
    await this.client.call('DiagnosticsStatusNotification', { status: status >= 200 && status < 300 ? 'Uploaded' : 'UploadFailed' });
  }

  /** The local authorization list the central system sent (SendLocalList), by idTag as sent. */
  readonly localList = new Map<string, IdTagInfo>();
  /** Its version: 0 = empty (OCPP). */
  localListVersion = 0;

  /** Live reservations, by connector (ReserveNow; gone when cancelled, used or expired). */
  readonly reservations = new Map<number, { reservationId: number; idTag: string; expiryDate: Date }>();

  /** A reserved connector takes only its reservation's id tag (until it expires). */
  mayStart(connectorId: number, idTag: string): boolean {
    const r = this.reservations.get(connectorId);
    if (!r || r.expiryDate.getTime() < Date.now()) return true;
    return r.idTag === idTag;
  }

  /** Commands the central system sent, in order. */
  readonly commandsReceived: { action: string; params: Record<string, unknown> }[] = [];
  /** Replace to answer commands differently (reject, delay past the timeout...). */
  respond: CommandResponder = (action) => DEFAULT_RESPONSES[action] ?? {};

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
      firmwareVersion: this.firmwareVersion,
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

  async status(
    connectorId: number,
    status: ChargePointStatus,
    opts: { errorCode?: ChargePointErrorCode; info?: string; timestamp?: Date } = {},
  ): Promise<void> {
    await this.client.call('StatusNotification', {
      connectorId,
      errorCode: opts.errorCode ?? 'NoError',
      status,
      timestamp: (opts.timestamp ?? new Date()).toISOString(),
      ...(opts.info !== undefined ? { info: opts.info } : {}),
    });
  }

  async authorize(idTag: string): Promise<AuthorizeConfirmation> {
    return (await this.client.call('Authorize', { idTag })) as AuthorizeConfirmation;
  }

  async startTransaction(connectorId: number, idTag: string, meterStart: number, timestamp: Date = new Date()): Promise<StartTransactionConfirmation> {
    if (!this.mayStart(connectorId, idTag)) throw new Error(`connector ${connectorId} is reserved for another id tag`);
    const reservation = this.reservations.get(connectorId);
    // the reserved tag starting uses the reservation up
    if (reservation) this.reservations.delete(connectorId);
    // as a charger does, the start names the reservation it uses up
    return (await this.client.call('StartTransaction', {
      connectorId,
      idTag,
      meterStart,
      timestamp: timestamp.toISOString(),
      ...(reservation ? { reservationId: reservation.reservationId } : {}),
    })) as StartTransactionConfirmation;
  }

  async meterValues(connectorId: number, transactionId: number | undefined, energyWh: number, at: Date = new Date()): Promise<void> {
    const meterValue: MeterValue[] = [
      {
        timestamp: at.toISOString(),
        sampledValue: [
          { value: String(energyWh), measurand: 'Energy.Active.Import.Register', unit: 'Wh', context: 'Sample.Periodic' },
          { value: '7200', measurand: 'Power.Active.Import', unit: 'W', context: 'Sample.Periodic' },
        ],
      },
    ];
    await this.client.call('MeterValues', { connectorId, ...(transactionId !== undefined ? { transactionId } : {}), meterValue });
  }

  async stopTransaction(
    transactionId: number,
    meterStop: number,
    opts: { idTag?: string; reason?: string; timestamp?: Date } = {},
  ): Promise<StopTransactionConfirmation> {
    return (await this.client.call('StopTransaction', {
      transactionId,
      meterStop,
      timestamp: (opts.timestamp ?? new Date()).toISOString(),
      ...(opts.idTag !== undefined ? { idTag: opts.idTag } : {}),
      ...(opts.reason !== undefined ? { reason: opts.reason } : {}),
    })) as StopTransactionConfirmation;
  }

  /** OCPP 1.6 Local Auth List Management as a charger does it: Full replaces, Differential updates newer versions only. */
  private localListCall(action: string, p: Record<string, unknown>): Record<string, unknown> {
    const enabled = this.opts.localAuthList ?? true;
    if (action === 'GetLocalListVersion') return { listVersion: enabled ? this.localListVersion : -1 };
    if (!enabled) return { status: 'NotSupported' };
    const version = p.listVersion as number;
    const entries = (p.localAuthorizationList ?? []) as { idTag: string; idTagInfo?: IdTagInfo }[];
    if (p.updateType === 'Full') {
      this.localList.clear();
      for (const e of entries) if (e.idTagInfo) this.localList.set(e.idTag, e.idTagInfo);
    } else {
      if (version <= this.localListVersion) return { status: 'VersionMismatch' };
      for (const e of entries) {
        const key = [...this.localList.keys()].find((k) => k.toUpperCase() === e.idTag.toUpperCase()) ?? e.idTag;
        if (e.idTagInfo) {
          this.localList.delete(key);
          this.localList.set(e.idTag, e.idTagInfo);
        } else this.localList.delete(key);
      }
    }
    this.localListVersion = version;
    return { status: 'Accepted' };
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
