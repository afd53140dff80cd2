import { EventEmitter } from 'node:events';
import net from 'node:net';
import { createYkcCipher, decodePadded, type DesMode, type YkcCipher } from '../ykc/des';
import { encodeFrame, FrameReader, YkcFrame } from '../ykc/frame';
import {
  BillingModel,
  billingModelReply,
  billingModelRequest,
  billingModelVerify,
  BillingModelVerifyReply,
  cardStartRequest,
  CardStartReply,
  heartbeat,
  loginRequest,
  LoginRequest,
  RealTimeData,
  realTimeData,
  rebootReply,
  remoteStartReply,
  remoteStopReply,
  RemoteStart,
  remoteStart,
  setBillingModelReply,
  timeSyncReply,
  TransactionRecord,
  transactionRecord,
  TransactionRecordConfirm,
  transactionRecordConfirm,
  YkcMessage,
  decodeMessage,
  timeSync,
  TimeSync,
  readRealTimeData,
  ReadRealTimeData,
  remoteStop,
  RemoteStop,
  setBillingModel,
  workingParameters,
  WorkingParameters,
  workingParametersReply,
} from '../ykc/messages';

/** The identity fields of a login (0x01). */
export type SimulatedPileIdentity = Omit<LoginRequest, 'pileNo'>;

/** A simulated pile's login identity: an ICCID of its own (89860 + the pile number + a digit), a DC pile on a SIM. */
export function simulatedPileIdentity(pileNo: string, guns = 2): SimulatedPileIdentity {
  return { pileType: 0, guns, protocolVersion: 0x10, programVersion: 'SIM1.6', network: 0, sim: `89860${pileNo}0`.slice(0, 20), carrier: 4 };
}

export interface SimulatedYkcPileOptions {
  /** Login identity fields to send instead of simulatedPileIdentity's (an impersonator's, a moved SIM). */
  identity?: Partial<SimulatedPileIdentity>;
  host: string;
  port: number;
  /** 14 digits. */
  pileNo: string;
  guns?: number;
  /** How long to wait for a reply before resending (login, records). Default 2000 ms. */
  replyTimeoutMs?: number;
  /** Connect from this local address (a second source on one host, in tests). */
  localAddress?: string;
  /** Send CRCs high byte first, like some non-conforming piles. */
  bigEndianCrc?: boolean;
  /** A 3DES key (16 or 24 bytes): every body is sent encrypted (ENC = 0x01) and encrypted replies are opened with it. */
  desKey?: Buffer;
  desMode?: DesMode;
}

interface GunState {
  serial?: string;
  startedAt?: Date;
  meterStartX1e4: number;
  energyX1e4: number;
  /** energy of the session per tier (尖/峰/平/谷) of the model the pile held when it was charged */
  tierEnergyX1e4: [number, number, number, number];
  /** the model the session started with: a session is billed with one model, whatever is pushed meanwhile */
  model: Omit<BillingModel, 'pileNo'>;
  charging: boolean;
  /** started by a platform command (0x34) rather than locally */
  remote: boolean;
  startType: number;
}

/**
 * What a pile bills with before a platform gave it a model: its factory model, 1.00 yuan
 * electricity + 0.50 service per kWh in every tier. A platform whose plan differs sees
 * another total in the record.
 */
export const FACTORY_BILLING_MODEL: Omit<BillingModel, 'pileNo'> = {
  modelNo: '0000',
  tiers: [
    { electricity: 100_000, service: 50_000 },
    { electricity: 100_000, service: 50_000 },
    { electricity: 100_000, service: 50_000 },
    { electricity: 100_000, service: 50_000 },
  ],
  lossRatio: 0,
  slots: Array(48).fill(2),
};

/** The pile's wall clock: China time, as the piles of this protocol run. */
const PILE_UTC_OFFSET_MS = 8 * 3600_000;

/** The tier a moment falls in, by the model's half-hour slots on the pile's clock. */
function tierAt(model: Omit<BillingModel, 'pileNo'>, at: Date): number {
  const local = new Date(at.getTime() + PILE_UTC_OFFSET_MS);
  return model.slots[local.getUTCHours() * 2 + (local.getUTCMinutes() >= 30 ? 1 : 0)] ?? 0;
}

/** kWh ×10^4 at yuan ×10^5 per kWh → yuan ×10^4, rounded half-up per tier like a pile. */
const amountX1e4 = (energyX1e4: number, priceX1e5: number): number => Math.floor((energyX1e4 * priceX1e5 + 50_000) / 100_000);

const ZERO_SERIAL = '0'.repeat(32);

/**
 * A simulated 云快充 pile: logs in, beats, answers remote start/stop, reboot
 * and time sync, reports real-time data and sends its transaction record
 * until the platform confirms it — enough to drive the bridge in tests,
 * demos and load runs.
 */
export class SimulatedYkcPile extends EventEmitter {
  readonly pileNo: string;
  private socket?: net.Socket;
  private reader = new FrameReader();
  private seq = 0;
  private readonly guns = new Map<number, GunState>();
  private readonly waiters = new Map<number, { resolve: (f: YkcFrame) => void }[]>();
  /** Records sent and not yet confirmed, by serial. */
  readonly unconfirmed = new Map<string, TransactionRecord>();
  /** Every record sent, by serial (tests resend them). */
  readonly recordsSent = new Map<string, TransactionRecord>();
  /** Everything the platform sent us, decoded. */
  readonly received: { type: number; message: unknown; seq: string }[] = [];
  private meterX1e4 = 1_000_000;
  /** Refuse remote starts with this YKC reason code (tests). */
  refuseStartWith?: number;
  /** What the platform last set with 0x52 (whether it may work, its output limit). */
  workingParameters?: Omit<WorkingParameters, 'pileNo'>;
  /** The billing model the pile bills with: its factory model until the platform gives it one (0x0A, 0x58). */
  model: Omit<BillingModel, 'pileNo'> = FACTORY_BILLING_MODEL;
  /** The balance each remote start carried (0x34), yuan ×100, by serial. */
  readonly balances = new Map<string, number>();

  /** What its login (0x01) says about it: register this with the pile (assets registerYkcPileIdentity). */
  readonly identity: SimulatedPileIdentity;

  private readonly cipher?: YkcCipher;

  constructor(private readonly opts: SimulatedYkcPileOptions) {
    super();
    if (opts.desKey) this.cipher = createYkcCipher(opts.desKey, opts.desMode);
    this.pileNo = opts.pileNo;
    this.identity = { ...simulatedPileIdentity(opts.pileNo, opts.guns ?? 2), ...opts.identity };
    for (let g = 1; g <= (opts.guns ?? 2); g++) this.guns.set(g, this.idleGun());
  }

  private idleGun(): GunState {
    return { meterStartX1e4: 0, energyX1e4: 0, tierEnergyX1e4: [0, 0, 0, 0], model: this.model, charging: false, remote: false, startType: 1 };
  }

  /** The meter register, kWh ×10^4. */
  get meterRegisterX1e4(): number {
    return this.meterX1e4;
  }

  isCharging(gun: number): boolean {
    return this.guns.get(gun)?.charging ?? false;
  }

  /** Started by the platform (0x34), so only the platform's 0x36 (or the driver) ends it. */
  isRemoteSession(gun: number): boolean {
    const g = this.guns.get(gun);
    return Boolean(g?.charging && g.remote);
  }

  /**
   * After login, as a pile does: verify the model it holds (0x05) and, if the platform has
   * another one, ask for it (0x09 → 0x0A). Resolves with the model number held afterwards.
   */
  async syncBillingModel(): Promise<string> {
    const verify = await this.call(billingModelVerify, { pileNo: this.pileNo, modelNo: this.model.modelNo }, 0x06);
    if ((decodeMessage(verify.type, verify.body).message as BillingModelVerifyReply).current) return this.model.modelNo;
    const reply = await this.call(billingModelRequest, { pileNo: this.pileNo }, billingModelReply.type);
    const { pileNo: _, ...model } = decodeMessage(reply.type, reply.body).message as BillingModel;
    this.model = model;
    return model.modelNo;
  }

  get isOpen(): boolean {
    return Boolean(this.socket && !this.socket.destroyed && this.socket.readyState === 'open');
  }

  async connect(): Promise<void> {
    this.reader = new FrameReader();
    const socket = net.connect({ host: this.opts.host, port: this.opts.port, ...(this.opts.localAddress ? { localAddress: this.opts.localAddress } : {}) });
    this.socket = socket;
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('close', () => this.emit('close'));
  }

  /** Log in; resolves with true if accepted. */
  async login(): Promise<boolean> {
    const reply = await this.call(loginRequest, { pileNo: this.pileNo, ...this.identity }, 0x02);
    return (decodeMessage(reply.type, reply.body).message as { accepted: boolean }).accepted;
  }

  async heartbeat(gun = 1, faulted = false): Promise<YkcFrame> {
    return this.call(heartbeat, { pileNo: this.pileNo, gunNo: gunNo(gun), faulted }, 0x04);
  }

  /** Unsolicited real-time report for a gun (no reply in the protocol). */
  reportRealTime(gun: number): void {
    this.send(realTimeData, this.realTime(gun));
  }

  /** Send the transaction record of a finished session; resolves when confirmed. Resends like a pile does. */
  async sendRecord(record: TransactionRecord, opts: { attempts?: number } = {}): Promise<TransactionRecordConfirm> {
    this.unconfirmed.set(record.serial, record);
    this.recordsSent.set(record.serial, record);
    const attempts = opts.attempts ?? 3;
    for (let i = 0; ; i++) {
      try {
        const f = await this.call(transactionRecord, record, 0x40);
        const confirm = decodeMessage(f.type, f.body).message as TransactionRecordConfirm;
        this.unconfirmed.delete(record.serial);
        return confirm;
      } catch (e) {
        if (i + 1 >= attempts) throw e;
      }
    }
  }

  /** Raw bytes, for tests that send what a real pile should not. */
  writeRaw(bytes: Buffer): void {
    this.socket?.write(bytes);
  }

  send<T>(codec: YkcMessage<T>, message: T, seq?: Buffer): Buffer {
    const body = codec.encode(message);
    const frame = this.cipher
      ? encodeFrame(codec.type, seq ?? this.nextSeq(), this.cipher.encrypt(body), 0x01)
      : encodeFrame(codec.type, seq ?? this.nextSeq(), body);
    if (this.opts.bigEndianCrc) frame.writeUInt16BE(frame.readUInt16LE(frame.length - 2), frame.length - 2);
    this.socket?.write(frame);
    return frame;
  }

  /** Send and wait for a frame of `replyType` (rejects after the reply timeout). */
  async call<T>(codec: YkcMessage<T>, message: T, replyType: number): Promise<YkcFrame> {
    const reply = this.next(replyType, this.opts.replyTimeoutMs ?? 2000);
    this.send(codec, message);
    return reply;
  }

  next(type: number, timeoutMs: number): Promise<YkcFrame> {
    return new Promise((resolve, reject) => {
      const entry = {
        resolve: (f: YkcFrame) => {
          clearTimeout(timer);
          resolve(f);
        },
      };
      const timer = setTimeout(() => {
        const list = this.waiters.get(type) ?? [];
        this.waiters.set(
          type,
          list.filter((w) => w !== entry),
        );
        reject(new Error(`no 0x${type.toString(16)} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(type, [...(this.waiters.get(type) ?? []), entry]);
    });
  }

  /**
   * A driver presents a card at the gun (0x31, card bytes as hex, zero-padded to 8 bytes) or, with
   * `vin`, starts by VIN; resolves with the platform's answer (0x32). Authorised: the gun charges
   * under the serial the platform issued.
   */
  async cardStart(gun: number, card: string, opts: { vin?: string } = {}): Promise<CardStartReply> {
    const f = await this.call(
      cardStartRequest,
      {
        pileNo: this.pileNo,
        gunNo: gunNo(gun),
        startMode: opts.vin ? 3 : 1,
        needsPassword: false,
        card: Buffer.from(card.padStart(16, '0'), 'hex'),
        password: Buffer.alloc(16),
        vin: opts.vin ?? '',
      },
      0x32,
    );
    const reply = decodeMessage(f.type, f.body).message as CardStartReply;
    if (reply.authorised) this.startSession(gun, reply.serial);
    return reply;
  }

  /**
   * Start a session (as after a remote start, or locally: a card or offline start). The
   * pile's clock is whole seconds: the record says when it started to the second.
   */
  startSession(gun: number, serial: string, opts: { remote?: boolean; startType?: number; at?: Date } = {}): void {
    const g = this.guns.get(gun)!;
    const startedAt = new Date(Math.floor((opts.at ?? new Date()).getTime() / 1000) * 1000);
    Object.assign(g, {
      serial,
      startedAt,
      meterStartX1e4: this.meterX1e4,
      energyX1e4: 0,
      tierEnergyX1e4: [0, 0, 0, 0],
      model: this.model,
      charging: true,
      remote: opts.remote ?? false,
      startType: opts.startType ?? (opts.remote ? 1 : 2),
    });
  }

  /** Advance a charging gun's meter (kWh ×10^4), billed to the tier of `at` in the model the pile holds. */
  charge(gun: number, energyX1e4: number, at = new Date()): void {
    const g = this.guns.get(gun)!;
    if (!g.charging) return;
    g.energyX1e4 += energyX1e4;
    g.tierEnergyX1e4[tierAt(g.model, at)] += energyX1e4;
    this.meterX1e4 += energyX1e4;
  }

  private static priceX1e5(g: GunState, tier: number): number {
    return g.model.tiers[tier].electricity + g.model.tiers[tier].service;
  }

  private amountSoFarX1e4(g: GunState): number {
    return g.tierEnergyX1e4.reduce((sum, e, i) => sum + amountX1e4(e, SimulatedYkcPile.priceX1e5(g, i)), 0);
  }

  /** End the session on a gun and build its record (not yet sent). */
  stopSession(gun: number, stopReason = 0x40, at = new Date()): TransactionRecord | undefined {
    const g = this.guns.get(gun)!;
    if (!g.charging || !g.serial) return undefined;
    // Whole seconds, like the pile's clock; energy takes at least a second to charge.
    const endedAt = new Date(Math.max(Math.floor(at.getTime() / 1000) * 1000, g.startedAt!.getTime() + (g.energyX1e4 > 0 ? 1000 : 0)));
    const tiers = g.tierEnergyX1e4.map((e, i) => {
      const price = SimulatedYkcPile.priceX1e5(g, i);
      return { unitPriceX1e5: price, energyX1e4: e, lossEnergyX1e4: e, amountX1e4: amountX1e4(e, price) };
    }) as TransactionRecord['tiers'];
    const record: TransactionRecord = {
      serial: g.serial,
      pileNo: this.pileNo,
      gunNo: gunNo(gun),
      startedAt: g.startedAt!,
      endedAt,
      tiers,
      meterStartX1e4: g.meterStartX1e4,
      meterStopX1e4: g.meterStartX1e4 + g.energyX1e4,
      totalEnergyX1e4: g.energyX1e4,
      totalLossEnergyX1e4: g.energyX1e4,
      totalAmountX1e4: this.amountSoFarX1e4(g),
      vin: '',
      startType: g.startType,
      recordedAt: endedAt,
      stopReason,
      physicalCard: Buffer.alloc(8),
    };
    this.guns.set(gun, this.idleGun());
    return record;
  }

  /** The record a pile sends after a start it refused: no energy, start = end. */
  private refusedRecord(m: RemoteStart, reason: number): TransactionRecord {
    const at = new Date(Math.floor(Date.now() / 1000) * 1000);
    const none = { unitPriceX1e5: 0, energyX1e4: 0, lossEnergyX1e4: 0, amountX1e4: 0 };
    return {
      serial: m.serial,
      pileNo: this.pileNo,
      gunNo: m.gunNo,
      startedAt: at,
      endedAt: at,
      tiers: [none, none, none, none],
      meterStartX1e4: this.meterX1e4,
      meterStopX1e4: this.meterX1e4,
      totalEnergyX1e4: 0,
      totalLossEnergyX1e4: 0,
      totalAmountX1e4: 0,
      vin: '',
      startType: 1,
      recordedAt: at,
      // the simulator's own code for "never started", with the 0x33 reason in the low bits
      stopReason: 0x60 + reason,
      physicalCard: Buffer.alloc(8),
    };
  }

  realTime(gun: number): RealTimeData {
    const g = this.guns.get(gun)!;
    return {
      serial: g.serial ?? ZERO_SERIAL,
      pileNo: this.pileNo,
      gunNo: gunNo(gun),
      status: g.charging ? 3 : 2,
      gunReturned: g.charging ? 0 : 1,
      plugged: g.charging,
      voltageX10: g.charging ? 3800 : 0,
      currentX10: g.charging ? 1250 : 0,
      gunTempRaw: 75,
      gunLineCode: Buffer.alloc(8),
      soc: g.charging ? Math.min(100, 20 + Math.floor(g.energyX1e4 / 10_000)) : 0,
      batteryMaxTempRaw: 80,
      chargingMinutes: g.startedAt && g.charging ? Math.floor((Date.now() - g.startedAt.getTime()) / 60_000) : 0,
      remainingMinutes: 0,
      energyX1e4: g.energyX1e4,
      lossEnergyX1e4: g.energyX1e4,
      amountX1e4: g.charging ? this.amountSoFarX1e4(g) : 0,
      hardwareFaults: 0,
    };
  }

  async close(): Promise<void> {
    const s = this.socket;
    if (!s || s.destroyed) return;
    await new Promise<void>((resolve) => {
      s.once('close', () => resolve());
      s.end();
      setTimeout(() => s.destroy(), 500).unref();
    });
  }

  /** Cut the connection without a FIN exchange (a pile losing power). */
  destroy(): void {
    this.socket?.destroy();
  }

  private nextSeq(): Buffer {
    this.seq = (this.seq + 1) & 0xffff;
    return Buffer.from([this.seq & 0xff, this.seq >> 8]);
  }

  private onData(chunk: Buffer): void {
    for (const r of this.reader.push(chunk)) {
      if (!('frame' in r)) continue;
      let f = r.frame;
      let message: unknown;
      try {
        if (this.cipher && f.encryption === 0x01) {
          const opened = decodePadded(f.type, this.cipher.decrypt(f.body));
          // Waiters decode the body again: hand them the plaintext.
          f = { ...f, body: opened.body };
          message = opened.message;
        } else {
          message = decodeMessage(f.type, f.body).message;
        }
      } catch {
        continue;
      }
      this.received.push({ type: f.type, message, seq: f.seq.toString('hex') });
      const list = this.waiters.get(f.type);
      if (list?.length) {
        list.shift()!.resolve(f);
      }
      this.emit('frame', f, message);
      this.respond(f, message);
    }
  }

  /** What a pile answers to platform commands. */
  private respond(f: YkcFrame, message: unknown): void {
    switch (f.type) {
      case remoteStart.type:
        return this.answerRemoteStart(f, message as RemoteStart);
      case remoteStop.type:
        return this.answerRemoteStop(f, message as RemoteStop);
      case 0x92:
        this.send(rebootReply, { pileNo: this.pileNo, accepted: true }, f.seq);
        break;
      case workingParameters.type: {
        const { pileNo: _, ...params } = message as WorkingParameters;
        this.workingParameters = params;
        this.send(workingParametersReply, { pileNo: this.pileNo, applied: true }, f.seq);
        break;
      }
      case timeSync.type:
        this.send(timeSyncReply, { pileNo: this.pileNo, time: (message as TimeSync).time }, f.seq);
        break;
      case readRealTimeData.type:
        this.send(realTimeData, this.realTime(Number((message as ReadRealTimeData).gunNo)), f.seq);
        break;
      case setBillingModel.type: {
        const { pileNo: _, ...model } = message as BillingModel;
        this.model = model;
        this.send(setBillingModelReply, { pileNo: this.pileNo, applied: true }, f.seq);
        break;
      }
      case transactionRecordConfirm.type:
        break;
    }
  }

  /** The 0x34 refusal code, or -1 to start. */
  private startRefusal(m: RemoteStart): number {
    if (this.refuseStartWith !== undefined) return this.refuseStartWith;
    const g = this.guns.get(Number(m.gunNo));
    if (m.pileNo !== this.pileNo || !g) return 1;
    if (g.charging) return 2;
    // No balance, nothing to charge on: refused (the document lists no code for it; 0 = no listed reason).
    return m.balanceX100 <= 0 ? 0 : -1;
  }

  private answerRemoteStart(f: YkcFrame, m: RemoteStart): void {
    this.balances.set(m.serial, m.balanceX100);
    const reason = this.startRefusal(m);
    const started = reason === -1;
    this.send(remoteStartReply, { serial: m.serial, pileNo: this.pileNo, gunNo: m.gunNo, started, reason: started ? 0 : reason }, f.seq);
    if (started) this.startSession(Number(m.gunNo), m.serial, { remote: true });
    // A record follows every start command, even a refused one.
    else void this.sendRecord(this.refusedRecord(m, reason)).catch(() => undefined);
  }

  private answerRemoteStop(f: YkcFrame, m: RemoteStop): void {
    const gun = Number(m.gunNo);
    const charging = this.guns.get(gun)?.charging ?? false;
    this.send(remoteStopReply, { pileNo: this.pileNo, gunNo: m.gunNo, stopped: charging, reason: charging ? 0 : 2 }, f.seq);
    const record = this.stopSession(gun);
    if (record) void this.sendRecord(record).catch(() => undefined);
  }
}

function gunNo(gun: number): string {
  return String(gun).padStart(2, '0');
}
