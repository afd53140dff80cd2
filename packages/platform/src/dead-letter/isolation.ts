import type { ReceivedMessage } from '../bus';
import type { Logger } from '../logger';
import { classifyFailure, type FailureClass } from './classify';
import type { DeadLetterSink } from './recorder';

export interface RetryBackoff {
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_RETRY_BACKOFF: RetryBackoff = { initialMs: 200, maxMs: 5_000 };

export interface IsolationDeps {
  /** The consumer's handler over some of the messages, in order. */
  handle(messages: ReceivedMessage[]): Promise<void>;
  sink: DeadLetterSink;
  /** Commit past this offset (and heartbeat). */
  commit(offset: string): Promise<void>;
  /** False once the consumer stops or its assignment went stale: leave, committing nothing more. */
  running(): boolean;
  heartbeat(): Promise<void>;
  backoff: RetryBackoff;
  logger?: Logger;
}

type One = 'ok' | 'settled' | 'stopped';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One partition's messages, handled so that a message that can never be handled does not hold
 * the others. The run goes to the handler whole (the fast path: one call). If that fails, its
 * messages go one at a time, in order, each committed after it, until the one that fails is
 * settled — dead-lettered if its failure is permanent, retried in place with backoff while it is
 * transient (the partition then waits: what follows would fail the same way). The rest go whole
 * again. Messages before the failing one are handled a second time; handlers are idempotent
 * (delivery is at-least-once), so that applies nothing twice.
 *
 * False if the consumer stopped meanwhile: nothing after the last commit was committed, and
 * those messages come again to whoever takes the partition.
 */
export async function handleIsolated(messages: ReceivedMessage[], deps: IsolationDeps): Promise<boolean> {
  let rest = messages;
  while (rest.length > 0) {
    try {
      await deps.handle(rest);
      return true;
    } catch {
      if (!deps.running()) return false;
    }
    const next = await settleFirstFailure(rest, deps);
    if (next < 0) return false;
    rest = rest.slice(next);
  }
  return true;
}

/** One at a time up to the first that fails, settled: the index after it (-1: stopped). */
async function settleFirstFailure(messages: ReceivedMessage[], deps: IsolationDeps): Promise<number> {
  for (let i = 0; i < messages.length; i++) {
    const one = await handleOne(messages[i], deps);
    if (one === 'stopped') return -1;
    await deps.commit(messages[i].offset);
    if (one === 'settled') return i + 1;
  }
  return messages.length;
}

async function handleOne(m: ReceivedMessage, deps: IsolationDeps): Promise<One> {
  for (let attempt = 0; ; attempt++) {
    let failure: FailureClass;
    try {
      await deps.handle([m]);
      return attempt === 0 ? 'ok' : 'settled';
    } catch (e) {
      failure = classifyFailure(e);
    }
    if (failure.kind === 'permanent') {
      try {
        await deps.sink.record(m, failure);
        return 'settled';
      } catch (e) {
        failure = { kind: 'transient', message: `dead-lettering failed: ${e instanceof Error ? e.message : String(e)}` };
      }
    }
    const delay = Math.min(deps.backoff.maxMs, deps.backoff.initialMs * 2 ** Math.min(attempt, 20));
    deps.logger?.warn(
      { consumer: deps.sink.consumer, topic: m.topic, partition: m.partition, offset: m.offset, attempt: attempt + 1, retryInMs: delay },
      `message failed, retrying in place: ${failure.message}`,
    );
    await sleep(delay);
    if (!deps.running()) return 'stopped';
    await deps.heartbeat();
  }
}
