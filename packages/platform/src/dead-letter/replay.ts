import type { ReadScope } from '../authz';
import type { ReceivedMessage } from '../bus';
import { AppError, defineCodes, ErrorCodes } from '../errors';
import { fail, ok, type Outcome } from '../outcome';
import { classifyFailure } from './classify';
import type { DeadLetterRecord, DeadLetterStore } from './store';

/** A consumer's handler: what its subscription calls with messages of one partition. */
export type MessageHandler = (messages: ReceivedMessage[]) => Promise<void>;

/** userError codes of the dead-letter replays (`replay<Subgraph>DeadLetter`). */
export const ReplayErrorCodes = defineCodes({
  NOT_FOUND: "No dead letter with this id in the caller's scope.",
  ALREADY_REPLAYED: 'It was replayed successfully before (and so applied, once).',
  STILL_FAILING: "The replay failed again, for good; the dead letter's reason is updated.",
  REPLAY_IN_PROGRESS: 'Another replay of it is running.',
  NO_CONSUMER: 'No consumer of that name here any more.',
});

export const messageOf = (d: DeadLetterRecord): ReceivedMessage => ({
  topic: d.topic,
  partition: d.partition,
  offset: d.offset,
  key: d.key,
  value: d.payload,
  headers: d.headers,
  timestamp: String(d.firstSeenAt.getTime()),
});

/**
 * Replays dead letters: the stored message goes to the handler of the consumer that dead-lettered
 * it, as it was received. Handlers are idempotent, and a replayed dead letter is marked so under
 * a row lock: replaying a message that now succeeds applies it once, and asking again answers
 * ALREADY_REPLAYED. A transient failure (a database down) is an error to retry later; the dead
 * letter stays as it was.
 */
export class DeadLetterReplayer {
  constructor(
    private readonly store: DeadLetterStore,
    private readonly handlers: Readonly<Record<string, MessageHandler>>,
  ) {}

  /** `scope`: the caller's (it must see the dead letter); `by`: who, kept with it. */
  async replay(scope: ReadScope, by: string, id: string): Promise<Outcome<DeadLetterRecord>> {
    const found = await this.store.get(scope, id);
    if (!found) return fail(ReplayErrorCodes.NOT_FOUND, 'id', 'No such dead letter');
    const handler = this.handlers[found.consumer];
    if (!handler) return fail(ReplayErrorCodes.NO_CONSUMER, 'id', `No consumer ${found.consumer} here to replay it to`);
    // Locked and updated in the dead letter's own tenant (where the row may be written).
    const out = await this.store.locked(found.tenantId, id, async (d): Promise<Outcome<DeadLetterRecord>> => {
      if (d.row.status === 'REPLAYED') return fail(ReplayErrorCodes.ALREADY_REPLAYED, 'id', `Replayed already, at ${d.row.replayedAt?.toISOString()}`);
      try {
        await handler([messageOf(d.row)]);
      } catch (e) {
        const failure = classifyFailure(e);
        if (failure.kind === 'transient') {
          throw new AppError(ErrorCodes.DEPENDENCY_UNAVAILABLE, `replay failed, try again later: ${failure.message}`, { retriable: true, cause: e });
        }
        await d.failedAgain(failure.reason, failure.message);
        return fail(ReplayErrorCodes.STILL_FAILING, 'id', `${failure.reason}: ${failure.message}`);
      }
      return ok(await d.markReplayed(by));
    });
    if (out === 'busy') return fail(ReplayErrorCodes.REPLAY_IN_PROGRESS, 'id', 'Another replay of it is running');
    if (out === 'missing') return fail(ReplayErrorCodes.NOT_FOUND, 'id', 'No such dead letter');
    return out;
  }
}
