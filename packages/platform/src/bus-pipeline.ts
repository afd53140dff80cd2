import type { ReceivedMessage } from './bus';
import { handleIsolated, type RetryBackoff } from './dead-letter/isolation';
import type { DeadLetterSink } from './dead-letter/recorder';
import type { Logger } from './logger';

/** Commits explicit offsets (kafkajs' eachBatch `commitOffsetsIfNecessary(offsets)`). */
export type CommitOffsets = (offsets: { topics: { topic: string; partitions: { partition: number; offset: string }[] }[] }) => Promise<void>;

export interface PipelineOptions {
  /** The subscription's handler (traced), called with messages of one partition in order. */
  handle(messages: ReceivedMessage[]): Promise<void>;
  deadLetters?: DeadLetterSink;
  backoff: RetryBackoff;
  logger?: Logger;
  groupId: string;
  /** At most this many messages per handler call. */
  maxMessagesPerCall: number;
  /** A partition's fetch waits while this many of its messages are queued and not yet applied. */
  maxQueued: number;
  /** Handler calls in flight at once, over all partitions. */
  concurrency: number;
}

interface PartitionQueue {
  topic: string;
  partition: number;
  /** the assignment (see PartitionPipelines.reassigned) the queued messages were fetched in */
  epoch: number;
  items: ReceivedMessage[];
  /** the offset the next queued message must have (a message below it is a repeat) */
  next: bigint | null;
  /** a drain loop is running (at most one per partition: a partition is applied strictly in order) */
  draining: Promise<void> | null;
  /** the highest offset asked to be committed, and the highest the broker accepted, in this epoch */
  want: bigint;
  committed: bigint;
  commits: Promise<void>;
  commitOffsets: CommitOffsets;
  space: (() => void)[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Fetching decoupled from applying. kafkajs fetches, hands every partition of the fetch to
 * eachBatch, and fetches again only once all of them returned: with the handler inside
 * eachBatch, an event fetched in one cycle waits for the slowest partition of the one before
 * (bench:ingest, docs/benchmarks.md "Session 12"). Here eachBatch only queues a partition's
 * messages and returns, so the next fetch goes out at once; per partition, one loop applies
 * what is queued, in order, a call at a time, and commits the offset after each call has
 * resolved — the effect is committed first, the offset second (at-least-once, as without the
 * pipeline). Offsets are never committed past a message that was not handled: a call's
 * commit covers only that call and those before it on the same partition.
 *
 * The queue is bounded (`maxQueued` per partition): while it is full, the partition's
 * eachBatch waits (heartbeating), which holds the fetch — backpressure, as before.
 *
 * A new assignment (rebalance, crash, rejoin) drops what is queued and commits nothing more for
 * the old one: kafkajs starts the new assignment at the committed offsets, so what was fetched
 * but not committed comes again (to this member or another) and the handler's idempotency makes
 * the repeat a no-op. A call already running finishes; its commit is skipped.
 */
export class PartitionPipelines {
  private epoch = 0;
  private stopped = false;
  private readonly queues = new Map<string, PartitionQueue>();
  private inFlight = 0;
  private readonly slotWaiters: (() => void)[] = [];

  constructor(private readonly opts: PipelineOptions) {}

  /** Assignment changed or lost: drop everything queued; commit nothing more of it. */
  reassigned(): void {
    this.epoch++;
    for (const q of this.queues.values()) this.reset(q);
  }

  /**
   * Queue one fetched batch of a partition. False if it was not queued (stopping, reassigned, or
   * the group is rebalancing): then kafkajs must not move its fetch position past it.
   */
  async enqueue(
    topic: string,
    partition: number,
    messages: ReceivedMessage[],
    kafka: { commitOffsets: CommitOffsets; heartbeat(): Promise<void>; running(): boolean },
  ): Promise<boolean> {
    const key = `${topic}|${partition}`;
    let q = this.queues.get(key);
    if (!q) {
      q = {
        topic,
        partition,
        epoch: this.epoch,
        items: [],
        next: null,
        draining: null,
        want: -1n,
        committed: -1n,
        commits: Promise.resolve(),
        commitOffsets: kafka.commitOffsets,
        space: [],
      };
      this.queues.set(key, q);
    }
    const epoch = this.epoch;
    if (q.epoch !== epoch) this.reset(q);
    q.commitOffsets = kafka.commitOffsets;
    while (q.items.length >= this.opts.maxQueued) {
      await new Promise<void>((resolve) => {
        q.space.push(resolve);
        setTimeout(resolve, 1_000);
      });
      if (this.stopped || this.epoch !== epoch || !kafka.running()) return false;
      try {
        // The fetch waits for this partition: keep the membership alive meanwhile.
        await kafka.heartbeat();
      } catch {
        return false; // the group is rebalancing: kafkajs rejoins and fetches this again
      }
    }
    if (this.stopped || this.epoch !== epoch) return false;
    for (const m of messages) {
      const offset = BigInt(m.offset);
      if (q.next !== null && offset < q.next) continue;
      q.items.push(m);
      q.next = offset + 1n;
    }
    if (!q.draining && q.items.length > 0) {
      const loop = this.drain(q);
      q.draining = loop;
      void loop.finally(() => {
        if (q.draining === loop) q.draining = null;
        // queued while the loop was finishing
        if (!q.draining && q.items.length > 0 && !this.stopped) q.draining = this.drain(q);
      });
    }
    return true;
  }

  /** Start no more calls; wait for the calls running and their offset commits. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const q of this.queues.values()) q.space.splice(0).forEach((wake) => wake());
    this.slotWaiters.splice(0).forEach((wake) => wake());
    for (const q of this.queues.values()) {
      while (q.draining) await q.draining;
      await q.commits;
    }
  }

  private reset(q: PartitionQueue): void {
    q.epoch = this.epoch;
    q.items = [];
    q.next = null;
    q.want = -1n;
    q.committed = -1n;
    q.space.splice(0).forEach((wake) => wake());
  }

  private async acquire(): Promise<void> {
    while (this.inFlight >= this.opts.concurrency && !this.stopped) await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
    this.inFlight++;
  }

  private release(): void {
    this.inFlight--;
    this.slotWaiters.shift()?.();
  }

  private async drain(q: PartitionQueue): Promise<void> {
    const { handle, deadLetters, backoff, logger, maxMessagesPerCall } = this.opts;
    while (!this.stopped && q.items.length > 0) {
      await this.acquire();
      try {
        if (this.stopped || q.items.length === 0) return;
        const epoch = q.epoch;
        const part = q.items.splice(0, maxMessagesPerCall);
        q.space.splice(0).forEach((wake) => wake());
        const live = () => !this.stopped && this.epoch === epoch;
        const done = deadLetters
          ? await handleIsolated(part, {
              handle,
              sink: deadLetters,
              commit: (offset) => this.commit(q, BigInt(offset) + 1n, epoch),
              running: live,
              // kafkajs keeps heartbeating from its fetch loop, which no longer waits for us
              heartbeat: async () => undefined,
              backoff,
              logger,
            })
          : await this.retried(part, live);
        if (!done) continue; // stopped or reassigned: nothing more of this epoch is committed
        // Not awaited: the next call need not wait for the broker; commits of a partition stay in order.
        void this.commit(q, BigInt(part[part.length - 1].offset) + 1n, epoch);
      } finally {
        this.release();
      }
    }
  }

  /** Without dead letters, a failing call is tried again, whole, in place (the partition waits). */
  private async retried(part: ReceivedMessage[], live: () => boolean): Promise<boolean> {
    const { handle, backoff, logger, groupId } = this.opts;
    for (let attempt = 0; ; attempt++) {
      try {
        await handle(part);
        return true;
      } catch (e) {
        const delay = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(attempt, 20));
        logger?.error(
          { err: e, groupId, topic: part[0].topic, partition: part[0].partition, offset: part[0].offset, attempt: attempt + 1, retryInMs: delay },
          'consumer call failed; trying it again',
        );
        await sleep(delay);
        if (!live()) return false;
      }
    }
  }

  /**
   * Commit past `next` (exclusive) on the partition, if the assignment is still the one the
   * messages were fetched in. Coalesced: while one commit is in flight the later ones wait, and
   * the first of them commits the highest asked for.
   */
  private commit(q: PartitionQueue, next: bigint, epoch: number): Promise<void> {
    if (q.epoch !== epoch || this.epoch !== epoch) return Promise.resolve();
    if (next > q.want) q.want = next;
    q.commits = q.commits.then(async () => {
      if (this.epoch !== epoch || q.want <= q.committed) return;
      const offset = q.want;
      try {
        await q.commitOffsets({ topics: [{ topic: q.topic, partitions: [{ partition: q.partition, offset: offset.toString() }] }] });
        if (this.epoch === epoch && offset > q.committed) q.committed = offset;
      } catch (e) {
        // The next commit carries this one (offsets are cumulative); after a rebalance the
        // partition starts at the last committed offset, and what follows comes again.
        this.opts.logger?.warn({ err: e, groupId: this.opts.groupId, topic: q.topic, partition: q.partition }, 'offset commit failed');
      }
    });
    return q.commits;
  }
}
