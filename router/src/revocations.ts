import { ACCESS_EVENTS_RETENTION_MS, decodeAccessEvent, InvalidEventError } from '@evcs/events';
import type { EventBus, Logger, Subscription } from '@evcs/platform';

export type RevocationListener = (userId: string, issuedBefore: number) => void;

/** What authentication asks of the revocation list. */
export interface RevocationCheck {
  /** True if tokens of `subject` issued at `issuedAt` (a NumericDate, like `iat`) are revoked. */
  isRevoked(subject: string, issuedAt: number): boolean;
}

/** …and what holders of long-lived connections need: to hear of revocations as they come. */
export interface RevocationSource extends RevocationCheck {
  onRevoke(listener: RevocationListener): () => void;
}

/**
 * The revocations this router instance knows of: per user, a cut-off below
 * which the `iat` of the user's tokens is refused. Built from the access-events
 * topic, read whole at every start. Checked on every request, after the
 * signature (whose verification may come from the verifier's cache): a cached
 * verification says the token is genuine, never that it is still good.
 *
 * An entry is forgotten once every token it could refuse has expired: access
 * tokens live 15 minutes, entries `horizonMs` (an hour — the topic's retention,
 * so a restarted router knows exactly what a running one does).
 */
export class RevocationList implements RevocationSource {
  private readonly cutoffs = new Map<string, number>();
  private readonly listeners = new Set<RevocationListener>();
  private sweptAt = 0;

  constructor(
    private readonly horizonMs = ACCESS_EVENTS_RETENTION_MS,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /**
   * Tokens of `userId` with an `iat` before `issuedBefore` are revoked. A cut-off
   * only ever rises (events may arrive twice, or out of order across restarts).
   * Returns whether it rose.
   */
  revoke(userId: string, issuedBefore: number): boolean {
    this.sweep();
    if (this.expired(issuedBefore)) return false;
    const known = this.cutoffs.get(userId);
    if (known !== undefined && known >= issuedBefore) return false;
    this.cutoffs.set(userId, issuedBefore);
    for (const l of this.listeners) l(userId, issuedBefore);
    return true;
  }

  isRevoked(subject: string, issuedAt: number): boolean {
    const cutoff = this.cutoffs.get(subject);
    return cutoff !== undefined && issuedAt < cutoff;
  }

  /** Called whenever a user's cut-off rises (live connections of that user are closed with it). */
  onRevoke(listener: RevocationListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Users with a cut-off on record. */
  get size(): number {
    return this.cutoffs.size;
  }

  private expired(issuedBefore: number): boolean {
    return issuedBefore * 1000 + this.horizonMs < this.nowMs();
  }

  /** Forget what can no longer matter, at most once a minute. */
  private sweep(): void {
    const now = this.nowMs();
    if (now - this.sweptAt < 60_000) return;
    this.sweptAt = now;
    for (const [userId, cutoff] of this.cutoffs) if (this.expired(cutoff)) this.cutoffs.delete(userId);
  }
}

export interface RevocationFeedOptions {
  bus: EventBus;
  topic: string;
  /**
   * Unique per router instance and start: every instance needs every event, and
   * the group commits nothing (each start reads the topic from its beginning).
   */
  groupId: string;
  list: RevocationList;
  logger: Logger;
}

/**
 * Feeds the revocation list from the access-events topic. The subscription's
 * `caughtUp` resolves once everything the topic held at start has been applied:
 * until then the router can't tell a revoked token from a good one.
 */
export function startRevocationFeed(opts: RevocationFeedOptions): Promise<Subscription> {
  return opts.bus.subscribe({
    groupId: opts.groupId,
    topics: [opts.topic],
    replay: true,
    handleBatch: async (messages) => {
      for (const m of messages) {
        // The contract lets producers add types; the type is duplicated in a header.
        const type = m.headers['event-type'];
        if (type && type !== 'access.revoked') continue;
        try {
          const event = decodeAccessEvent(m.value);
          if (opts.list.revoke(event.data.userId, event.data.issuedBefore)) {
            opts.logger.info(
              { userId: event.data.userId, tenantId: event.tenantId, issuedBefore: event.data.issuedBefore, reason: event.data.reason },
              'access revoked',
            );
          }
        } catch (e) {
          if (!(e instanceof InvalidEventError)) throw e;
          // Possibly a revocation this router can't apply: loud, not silent.
          opts.logger.error(
            { topic: m.topic, partition: m.partition, offset: m.offset, reason: e.message, raw: e.raw?.slice(0, 2000) },
            'skipping invalid access event',
          );
        }
      }
    },
  });
}
