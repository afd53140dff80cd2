import type { ChargerCommand } from '@evcs/events';
import type { Logger } from '@evcs/platform';
import type { BridgeStore } from '../persistence/store';
import type { ChargerSession } from './charger-session';
import type { Protocol } from './diagnostics';

export interface CommandOutcome {
  status: 'ACCEPTED' | 'REJECTED' | 'FAILED';
  reason?: string;
  response?: Record<string, unknown>;
}

/** A charger connected to this bridge, whatever its protocol. */
export interface LiveCharger {
  session: ChargerSession;
  protocol: Protocol;
  /** Where the connection comes from (YKC: a second login from elsewhere while this one lives is refused). */
  remoteAddress?: string;
  /** Send a platform command and wait (bounded by the command's timeout) for the charger's answer. */
  execute(command: ChargerCommand): Promise<CommandOutcome>;
  /** End the connection; `reason` goes into charger.disconnected. */
  close(reason: string): void;
}

export interface LiveChargersOptions {
  store: BridgeStore;
  bridgeId: string;
  logger: Logger;
  /** A charger that sent nothing for this long is disconnected (and so marked offline). */
  silenceTimeoutMs: number;
  /** How often the liveness sweep runs and the connection registry is refreshed. */
  sweepIntervalMs: number;
  now?: () => Date;
}

/**
 * Every charger this bridge instance holds, across protocols, mirrored into
 * bridge.charger_connections so other instances know where to send commands.
 * A periodic sweep refreshes the registry and disconnects silent chargers
 * (TCP can stay "open" for hours after a pile lost power).
 */
export class LiveChargers {
  private readonly byId = new Map<string, LiveCharger>();
  private readonly timer: NodeJS.Timeout;
  private readonly now: () => Date;

  constructor(private readonly opts: LiveChargersOptions) {
    this.now = opts.now ?? (() => new Date());
    this.timer = setInterval(() => void this.sweep(), opts.sweepIntervalMs);
    this.timer.unref();
  }

  get size(): number {
    return this.byId.size;
  }

  get(chargerId: string): LiveCharger | undefined {
    return this.byId.get(chargerId);
  }

  all(): LiveCharger[] {
    return [...this.byId.values()];
  }

  /** Resolves once the registry row says this bridge holds the charger. */
  async add(c: LiveCharger): Promise<void> {
    const previous = this.byId.get(c.session.chargerId);
    this.byId.set(c.session.chargerId, c);
    // The protocol servers admitted `c` with the same checks as the first (password, identity, network) before this.
    if (previous && previous !== c) {
      this.opts.logger.warn(
        { chargerId: c.session.chargerId, remoteAddress: c.remoteAddress, previousRemoteAddress: previous.remoteAddress },
        'connection taken over',
      );
      previous.close('replaced by a newer connection');
    }
    await this.opts.store.holdConnection(c.session.ctx.tenantId, {
      chargerCode: c.session.chargerId,
      bridgeId: this.opts.bridgeId,
      protocol: c.protocol,
      at: this.now(),
    });
  }

  remove(c: LiveCharger): void {
    if (this.byId.get(c.session.chargerId) !== c) return;
    this.byId.delete(c.session.chargerId);
    this.opts.store
      .releaseConnection(c.session.ctx.tenantId, c.session.chargerId, this.opts.bridgeId)
      .catch((err: unknown) => this.opts.logger.warn({ err, chargerId: c.session.chargerId }, 'could not release the connection registry row'));
  }

  async sweep(): Promise<void> {
    const now = this.now();
    for (const c of this.byId.values()) {
      if (now.getTime() - c.session.lastSeenAt.getTime() > this.opts.silenceTimeoutMs) {
        this.opts.logger.info({ chargerId: c.session.chargerId, lastSeenAt: c.session.lastSeenAt }, 'charger went silent; disconnecting');
        c.close('silent: no message within the liveness timeout');
      }
    }
    const held = this.all().map((c) => ({ tenantId: c.session.ctx.tenantId, chargerCode: c.session.chargerId }));
    if (held.length === 0) return;
    try {
      await this.opts.store.touchConnections(this.opts.bridgeId, held, now);
    } catch (err) {
      this.opts.logger.warn({ err }, 'could not refresh the connection registry');
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
