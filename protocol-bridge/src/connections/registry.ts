import type { ChargerSession } from './charger-session';

/** Something that can be told to go away: an OCPP RPC client, later a YKC socket. */
export interface Closable {
  close(opts?: { code?: number; reason?: string; awaitPending?: boolean; force?: boolean }): Promise<unknown>;
}

export interface Connection<C extends Closable = Closable> {
  session: ChargerSession;
  link: C;
  /** Why the bridge ended this connection, when it did (reported in charger.disconnected). */
  endReason?: string;
}

/**
 * The live connections of this bridge, by charger id. One charger has at most
 * one current connection: a new one replaces the old (OCPP chargers reconnect
 * before the server noticed the old socket died). Sessions that were replaced
 * or closed stay tracked until their disconnect is published, so a shutdown
 * can wait for every last event.
 */
export class ConnectionRegistry<C extends Closable = Closable> {
  private readonly current = new Map<string, Connection<C>>();
  private readonly open = new Set<Connection<C>>();

  get size(): number {
    return this.current.size;
  }

  get(chargerId: string): Connection<C> | undefined {
    return this.current.get(chargerId);
  }

  /** Make `conn` the charger's current connection; returns the one it replaces. */
  add(conn: Connection<C>): Connection<C> | undefined {
    const previous = this.current.get(conn.session.chargerId);
    this.current.set(conn.session.chargerId, conn);
    this.open.add(conn);
    void conn.session.finished.then(() => this.open.delete(conn));
    return previous;
  }

  /** Forget `conn` if it is still the charger's current connection. */
  remove(conn: Connection<C>): void {
    if (this.current.get(conn.session.chargerId) === conn) this.current.delete(conn.session.chargerId);
  }

  /** Every connection whose disconnect has not been published yet, replaced ones included. */
  all(): Connection<C>[] {
    return [...this.open];
  }
}
