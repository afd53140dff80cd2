import { randomUUID } from 'node:crypto';
import net from 'node:net';
import type { ChargerCommand } from '@evcs/events';
import type { Logger } from '@evcs/platform';
import type { BridgeConfig } from '../config';
import { ChargerSession } from '../connections/charger-session';
import type { Diagnostics } from '../connections/diagnostics';
import { ChargerContext, envelope, EventStamp } from '../connections/events';
import type { CommandOutcome, LiveCharger, LiveChargers } from '../connections/live';
import type { ChargerSecurityRecorder } from '../connections/charger-security';
import type { ChargerDirectory, ChargerRegistration } from '../directory';
import type { ChargerEventPublisher } from '../kafka/charger-event-publisher';
import type { BridgeStore } from '../persistence/store';
import { ACCEPT_EVERY_TAG, type IdTagAuthority } from '../id-tags';
import { answerCardStart } from './card-start';
import { YkcDecodeError } from './codec';
import { realTimeMeterEvent, realTimeStatusEvent, recordStoppedEvent, transactionRecordedEvent, gunNumber } from './events';
import { encodeFrame, FrameReader, YkcFrame } from './frame';
import { decodePadded, type DesKeyring, EMPTY_KEYRING, type YkcCipher } from './des';
import { checkYkcLogin, type LoginVerdict } from './login-check';
import {
  BillingModel,
  billingModelReply,
  billingModelVerifyReply,
  BillingModelVerify,
  BillingModelRequest,
  CardStartRequest,
  cardStartReply,
  decodeMessage,
  Heartbeat,
  heartbeatReply,
  LoginRequest,
  loginReply,
  readRealTimeData,
  RealTimeData,
  reboot,
  REMOTE_START_FAILURES,
  REMOTE_STOP_FAILURES,
  remoteStart,
  RemoteStartReply,
  remoteStop,
  RemoteStopReply,
  setBillingModel,
  timeSync,
  TransactionRecord,
  transactionRecordConfirm,
  UnknownMessageTypeError,
  YkcMessage,
} from './messages';

/** Port: the billing model a pile should run. `null`: none known (the pile keeps its own). */
export interface BillingModelSource {
  modelFor(tenantId: string, pileNo: string): Promise<BillingModel | null>;
  /** Drop what is known of this tenant's models (its plans or bindings changed). */
  forget?(tenantId: string): void;
}

export const NO_BILLING_MODELS: BillingModelSource = { modelFor: async () => null };

/** How long a pile has to confirm a pushed billing model (0x57) before it counts as failed. */
const BILLING_MODEL_PUSH_TIMEOUT_MS = 15_000;

export interface YkcServerDeps {
  directory: ChargerDirectory;
  publisher: ChargerEventPublisher;
  store: BridgeStore;
  diagnostics: Diagnostics;
  live: LiveChargers;
  logger: Logger;
  config: BridgeConfig;
  /** Learned identities and refused logins go to assets. */
  security: ChargerSecurityRecorder;
  billingModels?: BillingModelSource;
  /** 3DES keys of piles registered with a desKeyRef (ENC = 0x01). Default: none. */
  desKeys?: DesKeyring;
  /** Card starts (0x31) are decided by the tenant's id-token authority. */
  idTags?: IdTagAuthority;
  now?: () => Date;
  newId?: () => string;
}

export interface YkcServer {
  /** Not listening: the caller listens (port 0 in tests). */
  tcpServer: net.Server;
  readonly connectionCount: number;
  /**
   * A tenant's plans or bindings changed: every pile of the tenant connected here whose
   * model is no longer the platform's gets the new one (0x58), since a YKC pile bills
   * locally with the model it holds. Piles already current are left alone.
   */
  pushBillingModels(tenantId: string): Promise<{ pushed: number; current: number; failed: number }>;
  close(): Promise<void>;
}

/** The key an encrypted login opened with, and the registration that names it. */
interface LoginKey {
  ref: string;
  cipher: YkcCipher;
  registration: ChargerRegistration;
}

/**
 * A pile registered with a key logs in encrypted with that key, and one the
 * keyring lacks can't log in at all; a plain login of a keyed pile would let
 * anyone who knows the pile number (and identity) in without the key.
 */
function keyVerdict(registration: ChargerRegistration, key: LoginKey | undefined, keys: DesKeyring): LoginVerdict | null {
  if (!registration.desKeyRef) return null;
  if (!keys.cipherFor(registration.desKeyRef)) return { ok: false, reason: 'des_key_unknown', detail: { desKeyRef: registration.desKeyRef } };
  if (!key) return { ok: false, reason: 'plain_login_keyed_pile', detail: {} };
  return null;
}

/** Replies the bridge waits for after a command, by reply type. */
type PendingKey = string;

type CommandOf<T extends ChargerCommand['command']['type']> = Extract<ChargerCommand['command'], { type: T }>;

const failed = (reason: string): CommandOutcome => ({ status: 'FAILED', reason });

/** A YKC gun number: two digits. */
const gunOf = (connectorId: number) => String(connectorId).padStart(2, '0');

/**
 * 云快充 v1.5/1.6 over TCP. One connection = one pile, identified by its login
 * (0x01); nothing else is served before it. Frames of a connection are
 * handled strictly in order, and every reply that acknowledges data (login,
 * transaction record) is sent only after its events are on Kafka — a pile
 * that gets no reply resends, so a crash loses nothing.
 */
export function createYkcServer(deps: YkcServerDeps): YkcServer {
  const { logger, config, publisher, store, live } = deps;
  const { metrics, frames } = deps.diagnostics;
  const now = deps.now ?? (() => new Date());
  const newId = deps.newId ?? randomUUID;
  const billingModels = deps.billingModels ?? NO_BILLING_MODELS;
  const desKeys = deps.desKeys ?? EMPTY_KEYRING;
  const stamp = (): EventStamp => ({ id: newId(), receivedAt: now() });
  const connections = new Set<YkcConnection>();
  let accepting = true;

  class YkcConnection {
    private readonly reader = new FrameReader();
    private tail: Promise<void> = Promise.resolve();
    private seq = 0;
    private pileNo?: string;
    session?: ChargerSession;
    private liveCharger?: LiveCharger;
    private readonly pending = new Map<PendingKey, (frame: unknown) => void>();
    private readonly gunStatus = new Map<number, string>();
    /** Serial of the session each gun is known to run (announced by session.started). */
    private readonly gunSession = new Map<number, string>();
    private lastHeartbeatEventAt = 0;
    /** The model number the pile is known to hold (it told us at 0x05, or took ours at 0x0A / 0x58). */
    modelNo?: string;
    private endReason?: string;
    private serialCounter = 0;
    private stationId?: string;
    /** The pile's 3DES key, once its login showed it has one: every body both ways is encrypted. */
    private cipher?: YkcCipher;
    readonly closed: Promise<void>;
    private log: Logger;

    constructor(private readonly socket: net.Socket) {
      this.log = logger.child({ remoteAddress: socket.remoteAddress, protocol: 'YKC' });
      socket.setNoDelay(true);
      socket.on('data', (chunk: Buffer) => this.onData(chunk));
      socket.on('error', (err) => this.log.debug({ err }, 'YKC socket error'));
      this.closed = new Promise((resolve) => socket.once('close', () => resolve(this.onClose())));
    }

    private get chargerId(): string {
      return this.pileNo ?? `unidentified@${this.socket.remoteAddress ?? '?'}`;
    }

    private onData(chunk: Buffer): void {
      for (const r of this.reader.push(chunk)) {
        if ('error' in r) {
          metrics.count('YKC', r.error.kind);
          this.log.warn({ chargerId: this.pileNo, kind: r.error.kind, raw: r.error.raw.toString('hex') }, 'bad YKC bytes; resynchronising');
          frames.add(this.chargerId, {
            at: now().toISOString(),
            direction: 'IN',
            protocol: 'YKC',
            hex: r.error.raw.toString('hex'),
            decoded: { error: r.error.kind },
          });
          continue;
        }
        const frame = r.frame;
        this.tail = this.tail
          .then(() => this.onFrame(frame))
          .catch((err: unknown) => this.log.error({ err, chargerId: this.pileNo }, 'YKC frame handling failed'));
      }
    }

    private async onFrame(frame: YkcFrame): Promise<void> {
      if (this.session) this.session.touch(now());
      if (frame.crcOrder === 'BE') metrics.count('YKC', 'crc_big_endian');
      const opened = await this.openFrame(frame);
      if (!opened) return;
      const { decoded, loginKey } = opened;
      // A login is filed under the pile it names, so the frame log shows how the pile came in.
      const key = frame.type === 0x01 && !this.pileNo ? (decoded.message as LoginRequest).pileNo : undefined;
      this.record('IN', frame.raw, { type: frame.type, name: decoded.name, message: decoded.message }, key);
      if (frame.type === 0x01) return this.onLogin(frame, decoded.message as LoginRequest, loginKey);
      if (!this.session) {
        metrics.count('YKC', 'before_login');
        this.log.warn({ type: frame.type }, 'YKC message before login; ignored');
        return;
      }
      const pileNo = (decoded.message as { pileNo?: string }).pileNo;
      if (pileNo !== undefined && pileNo !== this.pileNo) {
        metrics.count('YKC', 'pile_number_mismatch');
        this.log.warn({ chargerId: this.pileNo, claimed: pileNo }, 'YKC message names another pile; ignored');
        return;
      }
      return this.dispatch(frame, this.session, decoded.message);
    }

    /** The frame's body decoded (decrypted first when the connection or login is keyed); undefined when it was refused or not understood. */
    private async openFrame(frame: YkcFrame): Promise<{ decoded: { name: string; message: unknown }; loginKey?: LoginKey } | undefined> {
      try {
        if (frame.encryption === 0x01 && frame.type === 0x01 && !this.session && !this.cipher) return await this.openEncryptedLogin(frame);
        if (!this.cipherAccepts(frame)) return undefined;
        return { decoded: this.cipher ? decodePadded(frame.type, this.cipher.decrypt(frame.body)) : decodeMessage(frame.type, frame.body) };
      } catch (e) {
        if (!(e instanceof YkcDecodeError) && !(e instanceof UnknownMessageTypeError)) throw e;
        const kind = e instanceof UnknownMessageTypeError ? 'unknown_type' : 'bad_body';
        metrics.count('YKC', kind);
        this.record('IN', frame.raw, { error: e.message, type: frame.type });
        this.log.warn({ chargerId: this.pileNo, kind, reason: e.message, raw: frame.raw.toString('hex') }, 'YKC frame not understood; ignored');
        return undefined;
      }
    }

    private async openEncryptedLogin(frame: YkcFrame): Promise<{ decoded: { name: string; message: unknown }; loginKey: LoginKey } | undefined> {
      const found = await this.findLoginKey(frame);
      if (found === 'unavailable') return undefined;
      if (!found) {
        metrics.count('YKC', 'encrypted_login_no_key');
        this.record('IN', frame.raw, { error: 'encrypted login no key of the keyring opens for its pile', type: frame.type });
        this.log.warn({ raw: frame.raw.toString('hex') }, 'encrypted YKC login that no key opens for a pile registered with it; closing');
        this.end('encrypted login: no matching key');
        return undefined;
      }
      return { decoded: found.decoded, loginKey: found.key };
    }

    /** One handler per pile-to-platform message type of a logged-in pile. */
    private async dispatch(frame: YkcFrame, session: ChargerSession, message: unknown): Promise<void> {
      switch (frame.type) {
        case 0x03:
          return this.onHeartbeat(frame, session, message as Heartbeat);
        case 0x05:
          return this.onBillingModelVerify(frame, session, message as BillingModelVerify);
        case 0x09:
          return this.onBillingModelRequest(frame, session, message as BillingModelRequest);
        case 0x13:
          return this.onRealTime(session, message as RealTimeData);
        case 0x31:
          return this.onCardStart(frame, session, message as CardStartRequest);
        case 0x33:
          return this.onRemoteStartReply(session, message as RemoteStartReply);
        case 0x35:
          return this.settle(`0x35:${(message as RemoteStopReply).gunNo}`, message);
        case 0x3b:
          return this.onTransactionRecord(frame, session, message as TransactionRecord);
        case 0x55:
        case 0x57:
        case 0x91:
          return this.settle(`0x${frame.type.toString(16)}`, message);
        default:
          metrics.count('YKC', 'unexpected_direction');
          this.log.warn({ type: frame.type }, 'pile sent a platform-to-pile message type; ignored');
      }
    }

    private async onBillingModelVerify(frame: YkcFrame, session: ChargerSession, m: BillingModelVerify): Promise<void> {
      this.modelNo = m.modelNo;
      const model = await billingModels.modelFor(session.ctx.tenantId, m.pileNo);
      // Without a platform model the pile's own stays valid.
      return this.send(billingModelVerifyReply, { pileNo: m.pileNo, modelNo: m.modelNo, current: !model || model.modelNo === m.modelNo }, frame.seq);
    }

    private async onBillingModelRequest(frame: YkcFrame, session: ChargerSession, m: BillingModelRequest): Promise<void> {
      const model = await billingModels.modelFor(session.ctx.tenantId, m.pileNo);
      if (!model) {
        metrics.count('YKC', 'billing_model_unavailable');
        this.log.warn({ chargerId: this.pileNo }, 'pile asked for a billing model and the platform has none for it');
        return;
      }
      this.modelNo = model.modelNo;
      return this.send(billingModelReply, { ...model, pileNo: m.pileNo }, frame.seq);
    }

    private async onRemoteStartReply(session: ChargerSession, m: RemoteStartReply): Promise<void> {
      if (m.started) {
        this.gunSession.set(gunNumber(m.gunNo), m.serial);
        await session.publish({
          ...envelope(session.ctx, session.stamp()),
          type: 'session.started',
          data: { connectorId: gunNumber(m.gunNo), transactionId: m.serial, startedAt: now().toISOString(), trigger: 'REMOTE' },
        });
      }
      return this.settle(`0x33:${m.serial}`, m);
    }

    /**
     * Whether this frame's encryption is the one its connection speaks: a pile with a key
     * (known from its login) sends only encrypted bodies — a plain frame from it is a
     * downgrade and refused; one without a key sends only plain bodies.
     */
    private cipherAccepts(frame: YkcFrame): boolean {
      const refuse = (kind: string, why: string) => {
        metrics.count('YKC', kind);
        this.record('IN', frame.raw, { error: why, type: frame.type });
        this.log.warn({ chargerId: this.pileNo, type: frame.type, raw: frame.raw.toString('hex') }, `YKC frame refused: ${why}`);
        return false;
      };
      if (frame.encryption > 0x01) return refuse('unknown_encryption', `unknown encryption flag 0x${frame.encryption.toString(16)}`);
      if (this.cipher && frame.encryption === 0x00) return refuse('plain_frame_from_keyed_pile', 'plain body from a pile that has a 3DES key');
      if (!this.cipher && frame.encryption === 0x01) return refuse('encrypted_without_key', 'encrypted body on a connection without a 3DES key');
      return true;
    }

    /**
     * An encrypted login hides the pile number, so the key can't be looked up by pile:
     * each key of the keyring is tried, and one counts only if the pile its plaintext
     * names is registered with that very key (a wrong key yields garbage or another pile).
     */
    private async findLoginKey(frame: YkcFrame): Promise<{ key: LoginKey; decoded: { name: string; message: unknown } } | null | 'unavailable'> {
      const tried = new Set<string>();
      for (const [ref, cipher] of desKeys.entries()) {
        let decoded;
        try {
          decoded = decodePadded(frame.type, cipher.decrypt(frame.body));
        } catch (e) {
          if (e instanceof YkcDecodeError) continue;
          throw e;
        }
        const pileNo = (decoded.message as LoginRequest).pileNo;
        if (tried.has(`${ref}|${pileNo}`)) continue;
        tried.add(`${ref}|${pileNo}`);
        let registration;
        try {
          registration = await deps.directory.resolve(pileNo);
        } catch (err) {
          this.log.warn({ err, chargerId: pileNo }, 'charger directory unavailable; YKC login left unanswered');
          return 'unavailable';
        }
        if (registration?.desKeyRef === ref) return { key: { ref, cipher, registration }, decoded };
      }
      return null;
    }

    private async onLogin(frame: YkcFrame, m: LoginRequest, key?: LoginKey): Promise<void> {
      // The pile proved it holds the key: even a refusal goes back encrypted.
      if (key) this.cipher = key.cipher;
      if (this.session) {
        if (m.pileNo === this.pileNo) return this.send(loginReply, { pileNo: m.pileNo, accepted: true }, frame.seq);
        metrics.count('YKC', 'second_login_other_pile');
        return this.end('login for another pile on the same connection');
      }
      if (!accepting) return this.end('bridge shutting down');
      let registration: ChargerRegistration | null | undefined = key?.registration;
      try {
        registration ??= await deps.directory.resolve(m.pileNo);
      } catch (err) {
        // Can't tell: no answer, the pile logs in again.
        this.log.warn({ err, chargerId: m.pileNo }, 'charger directory unavailable; YKC login left unanswered');
        return;
      }
      if (!registration) {
        metrics.count('YKC', 'unknown_pile');
        this.log.info({ chargerId: m.pileNo }, 'refused unknown YKC pile');
        this.send(loginReply, { pileNo: m.pileNo, accepted: false }, frame.seq);
        return this.end('unknown pile');
      }
      const verdict =
        keyVerdict(registration, key, desKeys) ??
        (await checkYkcLogin({ directory: deps.directory, security: deps.security, now }, registration, m, this.socket.remoteAddress, live.get(m.pileNo)));
      if (verdict.ok === 'unavailable') {
        this.log.warn({ err: verdict.err, chargerId: m.pileNo }, 'could not record the pile identity; YKC login left unanswered');
        return;
      }
      if (!verdict.ok) {
        metrics.count('YKC', `refused_${verdict.reason}`);
        this.log.warn({ chargerId: m.pileNo, reason: verdict.reason, ...verdict.detail }, 'refused YKC login');
        void deps.security.refusedLogin(registration, m.pileNo, verdict.reason, verdict.detail);
        this.send(loginReply, { pileNo: m.pileNo, accepted: false }, frame.seq);
        return this.end(`login refused: ${verdict.reason}`);
      }
      this.pileNo = m.pileNo;
      this.stationId = registration.stationId;
      this.log = this.log.child({ chargerId: m.pileNo, tenantId: registration.tenantId });
      const ctx: ChargerContext = { tenantId: registration.tenantId, chargerId: m.pileNo, protocol: 'YKC', bridgeId: config.bridgeId };
      const previous = live.get(m.pileNo);
      const session = new ChargerSession(ctx, publisher, stamp, previous?.session.finished);
      this.session = session;
      this.liveCharger = {
        session,
        protocol: 'YKC',
        remoteAddress: this.socket.remoteAddress,
        close: (reason) => this.end(reason),
        execute: (c) => this.execute(c),
      };
      live.add(this.liveCharger).catch((err: unknown) => this.log.warn({ err }, 'could not record the connection in the registry'));
      try {
        await session.begin(this.socket.remoteAddress);
        await session.publish({
          ...envelope(ctx, session.stamp()),
          type: 'charger.booted',
          data: {
            vendor: 'YKC',
            model: `${m.pileType === 1 ? 'AC' : 'DC'} ${m.guns} gun(s), protocol v${(m.protocolVersion / 10).toFixed(1)}`,
            firmwareVersion: m.programVersion,
          },
        });
      } catch (err) {
        this.log.error({ err }, 'could not publish the login; closing so the pile logs in again');
        return this.end('temporarily unavailable');
      }
      this.log.info('YKC pile logged in');
      this.send(loginReply, { pileNo: m.pileNo, accepted: true }, frame.seq);
    }

    private async onHeartbeat(frame: YkcFrame, session: ChargerSession, m: Heartbeat): Promise<void> {
      const gun = gunNumber(m.gunNo);
      if (m.faulted && this.gunStatus.get(gun) !== 'Faulted') {
        this.gunStatus.set(gun, 'Faulted');
        await session.publish({
          ...envelope(session.ctx, session.stamp()),
          type: 'connector.status_changed',
          data: { connectorId: gun, status: 'Faulted', errorCode: 'YKC_HEARTBEAT_FAULT' },
        });
      }
      // Piles beat every 10 s per gun: the bus hears of it once per heartbeat interval.
      const t = now().getTime();
      if (t - this.lastHeartbeatEventAt >= config.heartbeatIntervalS * 1000) {
        this.lastHeartbeatEventAt = t;
        await session.publish({ ...envelope(session.ctx, session.stamp()), type: 'charger.heartbeat', data: {} });
      }
      this.send(heartbeatReply, { pileNo: m.pileNo, gunNo: m.gunNo }, frame.seq);
    }

    /** 0x31 → 0x32 (ykc/card-start.ts); an authorised start's serial is this gun's session from now on. */
    private async onCardStart(frame: YkcFrame, session: ChargerSession, m: CardStartRequest): Promise<void> {
      const answer = await answerCardStart(
        {
          idTags: deps.idTags ?? ACCEPT_EVERY_TAG,
          metrics,
          log: this.log,
          now,
          stationId: this.stationId,
          balanceFen: config.ykcCardBalanceFen ?? 20_000,
          nextCounter: () => (this.serialCounter = (this.serialCounter + 1) % 10_000),
        },
        session,
        m,
      );
      if (!answer) return;
      if (answer.serial) this.gunSession.set(gunNumber(m.gunNo), answer.serial);
      this.send(cardStartReply, answer.reply, frame.seq);
    }

    /** 0x13 has no reply: a failed publish is counted; the next report (15 s) carries the same totals. */
    private async onRealTime(session: ChargerSession, m: RealTimeData): Promise<void> {
      this.settle(`0x13:${m.gunNo}`, m);
      const gun = gunNumber(m.gunNo);
      try {
        const status = realTimeStatusEvent(session.ctx, session.stamp(), m);
        if (this.gunStatus.get(gun) !== status.data.status) {
          await session.publish(status);
          this.gunStatus.set(gun, status.data.status);
        }
        if (m.status === 3 && !/^0+$/.test(m.serial) && this.gunSession.get(gun) !== m.serial) {
          // A session the pile started itself (card, VIN, offline): first seen in real-time data.
          this.gunSession.set(gun, m.serial);
          await session.publish({
            ...envelope(session.ctx, session.stamp()),
            type: 'session.started',
            data: {
              connectorId: gun,
              transactionId: m.serial,
              startedAt: new Date(now().getTime() - m.chargingMinutes * 60_000).toISOString(),
              trigger: 'LOCAL',
            },
          });
        }
        if (m.status === 3) await session.publish(realTimeMeterEvent(session.ctx, session.stamp(), m));
      } catch (err) {
        metrics.count('YKC', 'real_time_publish_failed');
        this.log.warn({ err }, 'could not publish YKC real-time data');
      }
    }

    /**
     * 0x3B: claim the serial (unique in Postgres); publish unless an earlier
     * copy already was; only then confirm with 0x40. A resend of a published
     * record is confirmed again without a second event.
     */
    private async onTransactionRecord(frame: YkcFrame, session: ChargerSession, m: TransactionRecord): Promise<void> {
      const tenantId = session.ctx.tenantId;
      const claim = await store.claimTransactionRecord(tenantId, { serial: m.serial, chargerCode: session.chargerId, gunNo: gunNumber(m.gunNo) });
      if (claim === 'published') {
        metrics.count('YKC', 'transaction_record_resend');
        this.log.info({ serial: m.serial }, 'transaction record resent after it was published; confirming again');
      } else {
        await session.publish(transactionRecordedEvent(session.ctx, session.stamp(), m));
        await session.publish(recordStoppedEvent(session.ctx, session.stamp(), m));
        await store.markRecordPublished(tenantId, m.serial);
      }
      this.send(transactionRecordConfirm, { serial: m.serial, accepted: true }, frame.seq);
    }

    private settle(key: PendingKey, message: unknown): void {
      const resolve = this.pending.get(key);
      if (resolve) {
        this.pending.delete(key);
        resolve(message);
      }
    }

    private nextSeq(): Buffer {
      this.seq = (this.seq + 1) & 0xffff;
      return Buffer.from([this.seq & 0xff, this.seq >> 8]);
    }

    send<T>(codec: YkcMessage<T>, message: T, seq: Buffer = this.nextSeq()): void {
      const body = codec.encode(message);
      const raw = this.cipher ? encodeFrame(codec.type, seq, this.cipher.encrypt(body), 0x01) : encodeFrame(codec.type, seq, body);
      this.record('OUT', raw, { type: codec.type, name: codec.name, message });
      if (!this.socket.destroyed) this.socket.write(raw);
    }

    private record(direction: 'IN' | 'OUT', raw: Buffer, decoded: unknown, chargerId = this.chargerId): void {
      frames.add(chargerId, { at: now().toISOString(), direction, protocol: 'YKC', hex: raw.toString('hex'), decoded });
    }

    /** Send a command and wait for its reply (keyed by reply type and gun or serial). */
    private async request<T>(key: PendingKey, timeoutMs: number, send: () => void): Promise<T | 'TIMEOUT' | 'BUSY' | 'DISCONNECTED'> {
      if (this.pending.has(key)) return 'BUSY';
      if (this.socket.destroyed) return 'DISCONNECTED';
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          this.pending.delete(key);
          resolve('TIMEOUT');
        }, timeoutMs);
        this.pending.set(key, (m) => {
          clearTimeout(timer);
          resolve(m as T | 'DISCONNECTED');
        });
        send();
      });
    }

    private newSerial(gunNo: string): string {
      const local = new Date(now().getTime() + 8 * 3600_000).toISOString();
      const yyMMddHHmmss = local.slice(2, 4) + local.slice(5, 7) + local.slice(8, 10) + local.slice(11, 13) + local.slice(14, 16) + local.slice(17, 19);
      this.serialCounter = (this.serialCounter + 1) % 10_000;
      return `${this.pileNo}${gunNo}${yyMMddHHmmss}${String(this.serialCounter).padStart(4, '0')}`;
    }

    get tenantId(): string | undefined {
      return this.session?.ctx.tenantId;
    }

    /** Bring the pile to the platform's model if it holds another one. */
    async pushBillingModel(timeoutMs: number): Promise<'pushed' | 'current' | 'none' | 'failed'> {
      const session = this.session;
      const pileNo = this.pileNo;
      if (!session || !pileNo) return 'none';
      const model = await billingModels.modelFor(session.ctx.tenantId, pileNo);
      if (!model) return 'none';
      if (model.modelNo === this.modelNo) return 'current';
      const r = await this.request<{ applied: boolean }>('0x57', timeoutMs, () => this.send(setBillingModel, model));
      if (typeof r === 'string' || !r.applied) {
        metrics.count('YKC', 'billing_model_push_failed');
        this.log.warn(
          { chargerId: pileNo, modelNo: model.modelNo, outcome: typeof r === 'string' ? r : 'REJECTED' },
          'pile did not take the new billing model',
        );
        return 'failed';
      }
      this.modelNo = model.modelNo;
      this.log.info({ chargerId: pileNo, modelNo: model.modelNo }, 'billing model pushed to pile');
      return 'pushed';
    }

    async execute(command: ChargerCommand): Promise<CommandOutcome> {
      const c = command.command;
      const t = command.timeoutMs;
      switch (c.type) {
        case 'session.start':
          return this.remoteStart(c, t);
        case 'session.stop':
          return this.remoteStop(c, t);
        case 'charger.reset':
          return this.reboot(c, t);
        case 'real_time_data.read':
          return this.readRealTime(c, t);
        case 'billing_model.set':
          return this.setBillingModel(c, t);
        case 'time.sync':
          return this.syncTime(t);
        default:
          return failed(`NOT_SUPPORTED: ${c.type} has no YKC message`);
      }
    }

    private async remoteStart(c: CommandOf<'session.start'>, t: number): Promise<CommandOutcome> {
      // A pile refuses to start on 0.00: say so here rather than have it refuse (and record) a start.
      if (!c.balanceCents) return failed('INVALID: a YKC start needs balanceCents > 0 (what the session may spend)');
      const pileNo = this.pileNo!;
      const gunNo = gunOf(c.connectorId);
      const serial = c.transactionId ?? this.newSerial(gunNo);
      // Logical card: the platform's id tag, when it is digits; YKC piles show it, they don't check it.
      const card = /^\d{1,16}$/.test(c.idTag) ? c.idTag : '0';
      const r = await this.request<RemoteStartReply>(`0x33:${serial}`, t, () =>
        this.send(remoteStart, { serial, pileNo, gunNo, logicalCard: card, physicalCard: card, balanceX100: c.balanceCents! }),
      );
      if (typeof r === 'string') return failed(r);
      const response = { transactionId: serial, started: r.started, reason: r.reason };
      return r.started ? { status: 'ACCEPTED', response } : { status: 'REJECTED', reason: REMOTE_START_FAILURES[r.reason] ?? `CODE_${r.reason}`, response };
    }

    private async remoteStop(c: CommandOf<'session.stop'>, t: number): Promise<CommandOutcome> {
      if (c.connectorId === undefined) return failed('NOT_SUPPORTED: YKC remote stop needs connectorId (the gun)');
      const pileNo = this.pileNo!;
      const gunNo = gunOf(c.connectorId);
      const r = await this.request<RemoteStopReply>(`0x35:${gunNo}`, t, () => this.send(remoteStop, { pileNo, gunNo }));
      if (typeof r === 'string') return failed(r);
      return r.stopped ? { status: 'ACCEPTED' } : { status: 'REJECTED', reason: REMOTE_STOP_FAILURES[r.reason] ?? `CODE_${r.reason}` };
    }

    private async reboot(c: CommandOf<'charger.reset'>, t: number): Promise<CommandOutcome> {
      const pileNo = this.pileNo!;
      const r = await this.request<{ accepted: boolean }>('0x91', t, () => this.send(reboot, { pileNo, when: c.kind === 'Hard' ? 'now' : 'idle' }));
      if (typeof r === 'string') return failed(r);
      return r.accepted ? { status: 'ACCEPTED' } : { status: 'REJECTED' };
    }

    private async readRealTime(c: CommandOf<'real_time_data.read'>, t: number): Promise<CommandOutcome> {
      const pileNo = this.pileNo!;
      const gunNo = gunOf(c.connectorId);
      const r = await this.request<RealTimeData>(`0x13:${gunNo}`, t, () => this.send(readRealTimeData, { pileNo, gunNo }));
      if (typeof r === 'string') return failed(r);
      return { status: 'ACCEPTED', response: { ...r, gunLineCode: r.gunLineCode.toString('hex') } };
    }

    private async setBillingModel(c: CommandOf<'billing_model.set'>, t: number): Promise<CommandOutcome> {
      const pileNo = this.pileNo!;
      const tiers = c.tiers.map((x) => ({ electricity: x.energyRate, service: x.serviceRate })) as BillingModel['tiers'];
      const model: BillingModel = { pileNo, modelNo: c.modelNo, tiers, lossRatio: c.lossRatio, slots: c.slots };
      const r = await this.request<{ applied: boolean }>('0x57', t, () => this.send(setBillingModel, model));
      if (typeof r === 'string') return failed(r);
      if (r.applied) this.modelNo = c.modelNo;
      return r.applied ? { status: 'ACCEPTED', response: { modelNo: c.modelNo } } : { status: 'REJECTED' };
    }

    private async syncTime(t: number): Promise<CommandOutcome> {
      const pileNo = this.pileNo!;
      const r = await this.request<{ time: Date }>('0x55', t, () => this.send(timeSync, { pileNo, time: now() }));
      if (typeof r === 'string') return failed(r);
      return { status: 'ACCEPTED', response: { pileTime: r.time.toISOString() } };
    }

    end(reason: string): void {
      this.endReason ??= reason;
      this.socket.end();
      // A pile that doesn't close its side: cut it after a moment.
      setTimeout(() => this.socket.destroy(), 1000).unref();
    }

    private async onClose(): Promise<void> {
      connections.delete(this);
      for (const resolve of this.pending.values()) resolve('DISCONNECTED');
      this.pending.clear();
      if (this.liveCharger) live.remove(this.liveCharger);
      if (this.session) {
        const why = this.endReason ?? 'connection closed';
        this.log.info({ reason: why }, 'YKC pile disconnected');
        await this.session.end(why).catch((err: unknown) => this.log.error({ err }, 'could not publish charger.disconnected'));
      }
    }
  }

  const tcpServer = net.createServer((socket) => {
    if (!accepting) {
      socket.destroy();
      return;
    }
    connections.add(new YkcConnection(socket));
  });
  tcpServer.on('error', (err) => logger.error({ err }, 'YKC TCP server error'));

  return {
    tcpServer,
    get connectionCount() {
      return [...connections].filter((c) => c.session).length;
    },
    async pushBillingModels(tenantId) {
      billingModels.forget?.(tenantId);
      const piles = [...connections].filter((c) => c.tenantId === tenantId);
      const outcomes = await Promise.all(piles.map((c) => c.pushBillingModel(BILLING_MODEL_PUSH_TIMEOUT_MS).catch(() => 'failed' as const)));
      return {
        pushed: outcomes.filter((o) => o === 'pushed').length,
        current: outcomes.filter((o) => o === 'current').length,
        failed: outcomes.filter((o) => o === 'failed').length,
      };
    },
    async close() {
      accepting = false;
      const all = [...connections];
      for (const c of all) c.end('bridge shutting down');
      await Promise.all(all.map((c) => c.closed));
      if (tcpServer.listening) await new Promise<void>((resolve) => tcpServer.close(() => resolve()));
    },
  };
}
