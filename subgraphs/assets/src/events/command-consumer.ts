import { CHARGER_EVENTS_TOPIC, decodeChargerEvent } from '@evcs/events';
import type { DeadLetterRecorder, EventBus, MessageHandler, Subscription } from '@evcs/platform';
import type { CommandService } from '../domain/commands';

/** The consumer's stable name: its group (within the namespace) and the name its dead letters carry. */
export const COMMANDS_CONSUMER = 'assets-commands';

/** Only these carry news of commands (a session start uses up a reservation); the rest are skipped by header, unparsed. */
const TYPES = new Set(['command.sent', 'command.result', 'session.started']);

/**
 * Charger events → the lifecycle of assets' commands (beside the status consumer, in a group of
 * its own: the status path stays as it is), and the reservations sessions use up. A result for a command of a type assets does not send (orders'
 * starts and stops) is skipped; a replay finds the command already past
 * that state (compare-and-set in the store). What can't be applied is thrown: the subscription
 * dead-letters what never can be and retries the rest.
 */
export function commandEventsHandler(commands: CommandService): MessageHandler {
  return async (messages) => {
    for (const m of messages) {
      const type = m.headers['event-type'];
      if (type !== undefined && !TYPES.has(type)) continue;
      const e = decodeChargerEvent(m.value);
      if ((e.type === 'command.sent' || e.type === 'command.result') && !commands.issues(e.data.command)) continue;
      if (e.type === 'command.sent') await commands.sent(e.tenantId, e.data.commandId, new Date(e.occurredAt));
      else if (e.type === 'command.result')
        await commands.answered(e.tenantId, e.data.commandId, e.data.command, {
          status: e.data.status,
          reason: e.data.reason ?? null,
          response: e.data.response ?? null,
          at: new Date(e.occurredAt),
        });
      else if (e.type === 'session.started')
        await commands.sessionStarted(e.tenantId, {
          chargerCode: e.chargerId,
          connectorNo: e.data.connectorId,
          idTag: e.data.idTag ?? null,
          reservationId: e.data.reservationId ?? null,
          transactionId: e.data.transactionId,
          startedAt: new Date(e.data.startedAt),
        });
    }
  };
}

export interface CommandConsumerOptions {
  bus: EventBus;
  commands: CommandService;
  deadLetters: DeadLetterRecorder;
  groupId?: string;
  topic?: string;
}

/** Offsets commit only after each call's events are applied (at-least-once). */
export function startCommandConsumer(opts: CommandConsumerOptions): Promise<Subscription> {
  return opts.bus.subscribe({
    groupId: opts.groupId ?? COMMANDS_CONSUMER,
    topics: [opts.topic ?? CHARGER_EVENTS_TOPIC],
    fromBeginning: true,
    partitionsConcurrently: 3,
    handleBatch: commandEventsHandler(opts.commands),
    deadLetters: opts.deadLetters.for(COMMANDS_CONSUMER),
  });
}
