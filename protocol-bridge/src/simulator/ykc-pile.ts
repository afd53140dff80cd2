import { EventEmitter } from 'node:events';
import net from 'node:net';
import { encodeFrame, FrameReader, YkcFrame } from '../ykc/frame';
import {
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
}

interface GunState {
  serial?: string;
  startedAt?: Date;
  meterStartX1e4: number;
  energyX1e4: number;
  charging: boolean;
}

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
  /** Everything the platform sent us, decoded. */
  readonly received: { type: number; message: unknown; seq: string }[] = [];
  private meterX1e4 = 1_000_000;
  /** Refuse remote starts with this YKC reason code (tests). */
  refuseStartWith?: number;

  /** What its login (0x01) says about it: register this with the pile (assets registerYkcPileIdentity). */
  readonly identity: SimulatedPileIdentity;

  constructor(private readonly opts: SimulatedYkcPileOptions) {
    super();
    this.pileNo = opts.pileNo;
    this.identity = { ...simulatedPileIdentity(opts.pileNo, opts.guns ?? 2), ...opts.identity };
    for (let g = 1; g <= (opts.guns ?? 2); g++) this.guns.set(g, { meterStartX1e4: 0, energyX1e4: 0, charging: false });
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
    const frame = encodeFrame(codec.type, seq ?? this.nextSeq(), codec.encode(message));
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

  /** Start a session locally (as after a remote start). */
  startSession(gun: number, serial: string): void {
    const g = this.guns.get(gun)!;
    Object.assign(g, { serial, startedAt: new Date(), meterStartX1e4: this.meterX1e4, energyX1e4: 0, charging: true });
  }

  /** Advance a charging gun's meter (kWh ×10^4). */
  charge(gun: number, energyX1e4: number): void {
    const g = this.guns.get(gun)!;
    if (!g.charging) return;
    g.energyX1e4 += energyX1e4;
    this.meterX1e4 += energyX1e4;
  }

  /** End the session on a gun and build its record (not yet sent). */
  stopSession(gun: number): TransactionRecord | undefined {
    const g = this.guns.get(gun)!;
    if (!g.charging || !g.serial) return undefined;
    g.charging = false;
    const amount = Math.round(g.energyX1e4 * 1.5);
    const endedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
    const record: TransactionRecord = {
      serial: g.serial,
      pileNo: this.pileNo,
      gunNo: gunNo(gun),
      startedAt: new Date(Math.floor(g.startedAt!.getTime() / 1000) * 1000),
      endedAt,
      tiers: [
        { unitPriceX1e5: 150_000, energyX1e4: 0, lossEnergyX1e4: 0, amountX1e4: 0 },
        { unitPriceX1e5: 150_000, energyX1e4: 0, lossEnergyX1e4: 0, amountX1e4: 0 },
        { unitPriceX1e5: 150_000, energyX1e4: g.energyX1e4, lossEnergyX1e4: g.energyX1e4, amountX1e4: amount },
        { unitPriceX1e5: 150_000, energyX1e4: 0, lossEnergyX1e4: 0, amountX1e4: 0 },
      ],
      meterStartX1e4: g.meterStartX1e4,
      meterStopX1e4: g.meterStartX1e4 + g.energyX1e4,
      totalEnergyX1e4: g.energyX1e4,
      totalLossEnergyX1e4: g.energyX1e4,
      totalAmountX1e4: amount,
      vin: '',
      startType: 1,
      recordedAt: endedAt,
      stopReason: 0x40,
      physicalCard: Buffer.alloc(8),
    };
    g.serial = undefined;
    return record;
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
      amountX1e4: Math.round(g.energyX1e4 * 1.5),
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
      const f = r.frame;
      let message: unknown;
      try {
        message = decodeMessage(f.type, f.body).message;
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
      case remoteStart.type: {
        const m = message as RemoteStart;
        const gun = Number(m.gunNo);
        const g = this.guns.get(gun);
        const reason = this.refuseStartWith ?? (!g ? 1 : g.charging ? 2 : 0);
        this.send(remoteStartReply, { serial: m.serial, pileNo: this.pileNo, gunNo: m.gunNo, started: reason === 0, reason }, f.seq);
        if (reason === 0) this.startSession(gun, m.serial);
        break;
      }
      case remoteStop.type: {
        const m = message as RemoteStop;
        const gun = Number(m.gunNo);
        const charging = this.guns.get(gun)?.charging ?? false;
        this.send(remoteStopReply, { pileNo: this.pileNo, gunNo: m.gunNo, stopped: charging, reason: charging ? 0 : 2 }, f.seq);
        const record = this.stopSession(gun);
        if (record) void this.sendRecord(record).catch(() => undefined);
        break;
      }
      case 0x92:
        this.send(rebootReply, { pileNo: this.pileNo, accepted: true }, f.seq);
        break;
      case timeSync.type:
        this.send(timeSyncReply, { pileNo: this.pileNo, time: (message as TimeSync).time }, f.seq);
        break;
      case readRealTimeData.type:
        this.send(realTimeData, this.realTime(Number((message as ReadRealTimeData).gunNo)), f.seq);
        break;
      case 0x58:
        this.send(setBillingModelReply, { pileNo: this.pileNo, applied: true }, f.seq);
        break;
      case transactionRecordConfirm.type:
        break;
    }
  }
}

function gunNo(gun: number): string {
  return String(gun).padStart(2, '0');
}
