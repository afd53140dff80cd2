import type { ChargerCommand } from '@evcs/events';
import type { Logger } from '@evcs/platform';
import { observeConnections } from '../metrics';
import type { BridgeStore } from '../ports';
import type { ChargerSession } from './charger-session';
import type { Protocol } from './diagnostics';

export interface CommandOutcome {
  status: 'ACCEPTED' | 'REJECTED' | 'FAILED';
  reason?: string;
  response?: Record<string, unknown>;
}

/** What the OCPP side calls on one of its connections besides platform commands (local lists, shutdown). */
export interface OcppHandle {
  tenantId: string;
  chargerId: string;
  call(action: string, payload: Record<string, unknown>): Promise<unknown>;
  /** Close gracefully (pending calls answered), cut it off after `timeoutMs`. */
  drain(timeoutMs: number): Promise<void>;
}

export type BillingModelPush = 'pushed' | 'current' | 'none' | 'failed';

/** What the YKC side calls on one of its connections besides platform commands. */
export interface YkcHandle {
  /** Bring the pile to the platform's billing model if it holds another one. */
  pushBillingModel(timeoutMs: number): Promise<BillingModelPush>;
}

interface ProtocolHandles {
  OCPP16: OcppHandle;
  YKC: YkcHandle;
}

/** A charger connected to this bridge. The protocol servers build one per admitted connection. */
export interface LiveConnection<P extends Protocol = Protocol> {
  readonly session: ChargerSession;
  readonly protocol: P;
  /** Where the connection comes from (YKC: a second login from elsewhere while this one lives is refused). */
  readonly remoteAddress?: string;
  /** The protocol's own handle on the connection. */
  readonly handle: ProtocolHandles[P];
  /**
   * OCPP: the password hash it was admitted with (null: profile 0, none). The connection lives as
   * long as that credential does (connections/credential-check.ts).
   */
  readonly credentialHash?: string | null;
  /** Send a platform command and wait (bounded by the command's timeout) for the charger's answer. */
  execute(command: ChargerCommand): Promise<CommandOutcome>;
  /** End the connection; `reason` goes into charger.disconnected. */
  close(reason: string): void;
}

/** The part of the bridge store that mirrors the registry for other instances. */
type HolderStore = Pick<BridgeStore, 'holdConnection' | 'touchConnections' | 'releaseConnection'>;

export interface ConnectionRegistryOptions {
  store: HolderStore;
  bridgeId: string;
  logger: Logger;
  /** A charger that sent nothing for this long is disconnected (and so marked offline). */
  silenceTimeoutMs: number;
  /** How often the liveness sweep runs and the holder rows are refreshed. */
  sweepIntervalMs: number;
  now?: () => Date;
}

const keyOf = (tenantId: string, chargerId: string) => `${tenantId}\u0000${chargerId}`;

/**
 * The one registry of the chargers this bridge instance holds, both protocols,
 * by charger identity (tenant + the code it connects with). A charger has at
 * most one current connection: registering a new one takes over — the older
 * one is closed (the protocol servers admitted the new one with the same checks
 * first: password, identity, network). Only the current connection can
 * unregister, so the late close of a replaced one leaves its successor alone.
 *
 * Mirrored into bridge.charger_connections so other instances know where to
 * send commands; a periodic sweep refreshes those rows and disconnects silent
 * chargers (TCP can stay "open" for hours after a pile lost power). Replaced and
 * closed connections stay `pending` until their disconnect is published, so a
 * shutdown can wait for every last event.
 */
export class ConnectionRegistry {
  private readonly current = new Map<string, LiveConnection>();
  private readonly open = new Set<LiveConnection>();
  private readonly timer: NodeJS.Timeout;
  private readonly now: () => Date;
  private readonly unobserve: () => void;

  constructor(private readonly opts: ConnectionRegistryOptions) {
    this.now = opts.now ?? (() => new Date());
    this.timer = setInterval(() => void this.sweep(), opts.sweepIntervalMs);
    this.timer.unref();
    this.unobserve = observeConnections(this);
  }

  /** Current connections, of one protocol if given. */
  count(protocol?: Protocol): number {
    if (!protocol) return this.current.size;
    // Counted, not copied: metrics read this on every scrape.
    let n = 0;
    for (const c of this.current.values()) if (c.protocol === protocol) n++;
    return n;
  }

  /** The charger's current connection; with `protocol`, only if it speaks that one. */
  get<P extends Protocol>(tenantId: string, chargerId: string, protocol?: P): LiveConnection<P> | undefined {
    const c = this.current.get(keyOf(tenantId, chargerId));
    return c && (!protocol || c.protocol === protocol) ? (c as LiveConnection<P>) : undefined;
  }

  /** Every current connection (of one protocol if given). */
  all<P extends Protocol>(protocol?: P): LiveConnection<P>[] {
    return [...this.current.values()].filter((c): c is LiveConnection<P> => !protocol || c.protocol === protocol);
  }

  /** A tenant's current connections (of one protocol if given). */
  ofTenant<P extends Protocol>(tenantId: string, protocol?: P): LiveConnection<P>[] {
    return this.all(protocol).filter((c) => c.session.ctx.tenantId === tenantId);
  }

  /** Every connection whose disconnect has not been published yet, replaced ones included. */
  pending<P extends Protocol>(protocol?: P): LiveConnection<P>[] {
    return [...this.open].filter((c): c is LiveConnection<P> => !protocol || c.protocol === protocol);
  }

  /**
   * Make `c` its charger's current connection and record that this bridge holds it. Returns
   * the connection it took over (already told to close), if any.
   */
  register(c: LiveConnection): LiveConnection | undefined {
    const { tenantId, chargerId } = c.session.ctx;
    const key = keyOf(tenantId, chargerId);
    const previous = this.current.get(key);
    this.current.set(key, c);
    this.open.add(c);
    void c.session.finished.then(() => this.open.delete(c));
    if (previous && previous !== c) {
      this.opts.logger.warn(
        { chargerId, tenantId, protocol: c.protocol, remoteAddress: c.remoteAddress, previousRemoteAddress: previous.remoteAddress },
        'connection taken over',
      );
      previous.close('replaced by a newer connection');
    }
    this.opts.store
      .holdConnection(tenantId, { chargerCode: chargerId, bridgeId: this.opts.bridgeId, protocol: c.protocol, at: this.now() })
      .catch((err: unknown) =>
        this.opts.logger.warn({ err, chargerId }, 'could not record the connection in the registry; commands from other instances may not find it'),
      );
    return previous === c ? undefined : previous;
  }

  /** Forget `c` if it is still its charger's current connection (a replaced one changes nothing). */
  unregister(c: LiveConnection): void {
    const { tenantId, chargerId } = c.session.ctx;
    const key = keyOf(tenantId, chargerId);
    if (this.current.get(key) !== c) return;
    this.current.delete(key);
    this.opts.store
      .releaseConnection(tenantId, chargerId, this.opts.bridgeId)
      .catch((err: unknown) => this.opts.logger.warn({ err, chargerId }, 'could not release the connection registry row'));
  }

  async sweep(): Promise<void> {
    const now = this.now();
    for (const c of this.current.values()) {
      if (now.getTime() - c.session.lastSeenAt.getTime() > this.opts.silenceTimeoutMs) {
        this.opts.logger.info({ chargerId: c.session.chargerId, lastSeenAt: c.session.lastSeenAt }, 'charger went silent; disconnecting');
        c.close('silent: no message within the liveness timeout');
      }
    }
    const held: { tenantId: string; chargerCode: string }[] = [];
    for (const c of this.current.values()) held.push({ tenantId: c.session.ctx.tenantId, chargerCode: c.session.chargerId });
    if (held.length === 0) return;
    try {
      await this.opts.store.touchConnections(this.opts.bridgeId, held, now);
    } catch (err) {
      this.opts.logger.warn({ err }, 'could not refresh the connection registry');
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.unobserve();
  }
}
