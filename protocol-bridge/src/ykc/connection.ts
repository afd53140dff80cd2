import type net from 'node:net';
import { inSpan, SpanKind, type Logger } from '@evcs/platform';
import type { ChargerSession } from '../connections/charger-session';
import type { LiveConnection } from '../connections/registry';
import { messagesReceived } from '../metrics';
import type { ChargerRegistration } from '../ports';
import { cardStartSerial } from './card-start';
import { YkcDecodeError } from './codec';
import { decodePadded, type YkcCipher } from './des';
import { encodeFrame, FrameReader, YkcFrame } from './frame';
import type { YkcServices } from './handlers/types';
import { decodeMessage, LoginRequest, UnknownMessageTypeError, YkcMessage } from './messages';

/** The key an encrypted login opened with, and the registration that names it. */
export interface LoginKey {
  ref: string;
  cipher: YkcCipher;
  registration: ChargerRegistration;
}

/** A frame's body, decoded (and decrypted when it was encrypted). */
export interface OpenedFrame {
  decoded: { name: string; message: unknown };
  /** An encrypted login: the key that opened it. */
  loginKey?: LoginKey;
}

/** Handles one opened frame: the handler table (handlers/index.ts). */
export type FrameDispatch = (conn: YkcConnection, frame: YkcFrame, opened: OpenedFrame) => Promise<void>;

/** Replies the bridge waits for after a command, keyed by reply type and gun or serial. */
type PendingKey = string;

export type RequestFailure = 'TIMEOUT' | 'BUSY' | 'DISCONNECTED';

/**
 * One TCP connection of a YKC pile: framing (partial and coalesced reads,
 * resynchronisation), strict in-order handling of its frames, sequence
 * numbers, liveness (every frame touches the session), the 3DES state of the
 * pile, replies awaited by commands, and the state of the pile the handlers
 * keep (its guns, its billing model). What each message means is in handlers/.
 */
export class YkcConnection {
  private readonly reader = new FrameReader();
  private tail: Promise<void> = Promise.resolve();
  private seq = 0;
  private readonly pending = new Map<PendingKey, (frame: unknown) => void>();
  private endReason?: string;
  private serialCounter = 0;
  /** The pile number its login named, once the login was accepted. */
  pileNo?: string;
  session?: ChargerSession;
  /** Its entry in the connection registry, once logged in. */
  live?: LiveConnection<'YKC'>;
  stationId?: string;
  /** Last status published per gun (connector.status_changed only on change). */
  readonly gunStatus = new Map<number, string>();
  /** Serial of the session each gun is known to run (announced by session.started). */
  readonly gunSession = new Map<number, string>();
  lastHeartbeatEventAt = 0;
  /** The model number the pile is known to hold (it told us at 0x05, or took ours at 0x0A / 0x58). */
  modelNo?: string;
  /** The pile's 3DES key, once its login showed it has one: every body both ways is encrypted. */
  cipher?: YkcCipher;
  readonly closed: Promise<void>;
  log: Logger;

  /** The pile's address: the socket's peer, or the source a trusted edge's PROXY header named. */
  readonly remoteAddress: string | undefined;

  constructor(
    private readonly socket: net.Socket,
    readonly services: YkcServices,
    private readonly dispatch: FrameDispatch,
    /** `initial`: bytes already read from the socket (past a PROXY header), handled first. */
    peer: { remoteAddress?: string; initial?: Buffer } = { remoteAddress: socket.remoteAddress },
  ) {
    this.remoteAddress = peer.remoteAddress;
    this.log = services.logger.child({ remoteAddress: this.remoteAddress, protocol: 'YKC' });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.log.debug({ err }, 'YKC socket error'));
    this.closed = new Promise((resolve) => socket.once('close', () => resolve(this.onClose())));
    if (peer.initial?.length) this.onData(peer.initial);
  }

  get tenantId(): string | undefined {
    return this.session?.ctx.tenantId;
  }

  private get chargerId(): string {
    return this.pileNo ?? `unidentified@${this.remoteAddress ?? '?'}`;
  }

  private onData(chunk: Buffer): void {
    const { metrics } = this.services;
    for (const r of this.reader.push(chunk)) {
      if ('error' in r) {
        metrics.count('YKC', r.error.kind);
        this.log.warn({ chargerId: this.pileNo, kind: r.error.kind, raw: r.error.raw.toString('hex') }, 'bad YKC bytes; resynchronising');
        this.record('IN', r.error.raw, { error: r.error.kind });
        continue;
      }
      const frame = r.frame;
      this.tail = this.tail
        .then(() => this.onFrame(frame))
        .catch((err: unknown) => this.log.error({ err, chargerId: this.pileNo }, 'YKC frame handling failed'));
    }
  }

  private async onFrame(frame: YkcFrame): Promise<void> {
    if (this.session) this.session.touch(this.services.now());
    if (frame.crcOrder === 'BE') this.services.metrics.count('YKC', 'crc_big_endian');
    const opened = await this.openFrame(frame);
    if (!opened) return;
    const { decoded } = opened;
    // A login is filed under the pile it names, so the frame log shows how the pile came in.
    const key = frame.type === 0x01 && !this.pileNo ? (decoded.message as LoginRequest).pileNo : undefined;
    this.record('IN', frame.raw, { type: frame.type, name: decoded.name, message: decoded.message }, key);
    // A pile's message starts a trace; the consumers of the events it causes continue it.
    try {
      await inSpan(`ykc ${decoded.name}`, { 'rpc.system': 'ykc', 'rpc.method': decoded.name }, () => this.dispatch(this, frame, opened), {
        kind: SpanKind.SERVER,
        root: true,
      });
      messagesReceived.inc({ protocol: 'YKC', action: decoded.name, result: 'ok' });
    } catch (err) {
      messagesReceived.inc({ protocol: 'YKC', action: decoded.name, result: 'error' });
      throw err;
    }
  }

  /** The frame's body decoded (decrypted first when the connection or login is keyed); undefined when it was refused or not understood. */
  private async openFrame(frame: YkcFrame): Promise<OpenedFrame | undefined> {
    try {
      if (frame.encryption === 0x01 && frame.type === 0x01 && !this.session && !this.cipher) return await this.openEncryptedLogin(frame);
      if (!this.cipherAccepts(frame)) return undefined;
      return { decoded: this.cipher ? decodePadded(frame.type, this.cipher.decrypt(frame.body)) : decodeMessage(frame.type, frame.body) };
    } catch (e) {
      if (!(e instanceof YkcDecodeError) && !(e instanceof UnknownMessageTypeError)) throw e;
      const kind = e instanceof UnknownMessageTypeError ? 'unknown_type' : 'bad_body';
      this.services.metrics.count('YKC', kind);
      this.record('IN', frame.raw, { error: e.message, type: frame.type });
      this.log.warn({ chargerId: this.pileNo, kind, reason: e.message, raw: frame.raw.toString('hex') }, 'YKC frame not understood; ignored');
      return undefined;
    }
  }

  private async openEncryptedLogin(frame: YkcFrame): Promise<OpenedFrame | undefined> {
    const found = await this.findLoginKey(frame);
    if (found === 'unavailable') return undefined;
    if (!found) {
      this.services.metrics.count('YKC', 'encrypted_login_no_key');
      this.record('IN', frame.raw, { error: 'encrypted login no key of the keyring opens for its pile', type: frame.type });
      this.log.warn({ raw: frame.raw.toString('hex') }, 'encrypted YKC login that no key opens for a pile registered with it; closing');
      this.end('encrypted login: no matching key');
      return undefined;
    }
    return { decoded: found.decoded, loginKey: found.key };
  }

  /**
   * Whether this frame's encryption is the one its connection speaks: a pile with a key
   * (known from its login) sends only encrypted bodies — a plain frame from it is a
   * downgrade and refused; one without a key sends only plain bodies.
   */
  private cipherAccepts(frame: YkcFrame): boolean {
    const refuse = (kind: string, why: string) => {
      this.services.metrics.count('YKC', kind);
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
  private async findLoginKey(frame: YkcFrame): Promise<{ key: LoginKey; decoded: OpenedFrame['decoded'] } | null | 'unavailable'> {
    const tried = new Set<string>();
    for (const [ref, cipher] of this.services.desKeys.entries()) {
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
        registration = await this.services.directory.resolve(pileNo);
      } catch (err) {
        this.log.warn({ err, chargerId: pileNo }, 'charger directory unavailable; YKC login left unanswered');
        return 'unavailable';
      }
      if (registration?.desKeyRef === ref) return { key: { ref, cipher, registration }, decoded };
    }
    return null;
  }

  /** A reply awaited by a command arrived. */
  settle(key: PendingKey, message: unknown): void {
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

  /** Send a message; a reply echoes the sequence bytes of the frame it answers (`seq`). */
  send<T>(codec: YkcMessage<T>, message: T, seq: Buffer = this.nextSeq()): void {
    const body = codec.encode(message);
    const raw = this.cipher ? encodeFrame(codec.type, seq, this.cipher.encrypt(body), 0x01) : encodeFrame(codec.type, seq, body);
    this.record('OUT', raw, { type: codec.type, name: codec.name, message });
    if (!this.socket.destroyed) this.socket.write(raw);
  }

  private record(direction: 'IN' | 'OUT', raw: Buffer, decoded: unknown, chargerId = this.chargerId): void {
    this.services.frames.add(chargerId, { at: this.services.now().toISOString(), direction, protocol: 'YKC', hex: raw.toString('hex'), decoded });
  }

  /** Send a command and wait for its reply (keyed by reply type and gun or serial). */
  async request<T>(key: PendingKey, timeoutMs: number, send: () => void): Promise<T | RequestFailure> {
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

  /** The next value of this connection's serial counter (4 digits). */
  nextCounter(): number {
    this.serialCounter = (this.serialCounter + 1) % 10_000;
    return this.serialCounter;
  }

  /** A serial for a start the platform asked for without one. */
  newSerial(gunNo: string): string {
    return cardStartSerial(this.pileNo!, gunNo, this.services.now(), this.nextCounter());
  }

  end(reason: string): void {
    this.endReason ??= reason;
    this.socket.end();
    // A pile that doesn't close its side: cut it after a moment.
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  private async onClose(): Promise<void> {
    for (const resolve of this.pending.values()) resolve('DISCONNECTED');
    this.pending.clear();
    if (this.live) this.services.registry.unregister(this.live);
    if (this.session) {
      const why = this.endReason ?? 'connection closed';
      this.log.info({ reason: why }, 'YKC pile disconnected');
      await this.session.end(why).catch((err: unknown) => this.log.error({ err }, 'could not publish charger.disconnected'));
    }
  }
}
