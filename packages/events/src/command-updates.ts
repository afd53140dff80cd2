import { encodeWith, eventHeaders, type EventContract } from './contract';
import { z } from 'zod';
import { zonedTimestamp } from './charger-events';
import { decodeEvent, type EncodedEvent } from './codec';

/**
 * What the assets subgraph publishes (through its outbox, in the transaction of the change)
 * each time a command it sends to a charger changes state: created (PENDING), handed to the
 * charger (SENT), answered (ACCEPTED / REJECTED), failed (FAILED, with the reason) or given up
 * on (TIMED_OUT). The state carried is the one committed, so a subscriber never sees a state
 * the API would not show. Consumers: every router instance (the `chargerCommandUpdated`
 * subscription). Keyed by charger: one charger's updates stay in order.
 */
export const COMMAND_UPDATES_TOPIC = 'evcs.charger-command-updates.v1';
/** Operator commands: rare. */
export const COMMAND_UPDATES_PARTITIONS = 3;

export const COMMAND_STATUSES = ['PENDING', 'SENT', 'ACCEPTED', 'REJECTED', 'FAILED', 'TIMED_OUT'] as const;
export type CommandStatus = (typeof COMMAND_STATUSES)[number];

export const ChargerCommandUpdate = z.object({
  /** Unique per update; consumers deduplicate on it. */
  id: z.string().uuid(),
  version: z.literal(1),
  type: z.literal('command.updated'),
  tenantId: z.string().uuid(),
  commandId: z.string().uuid(),
  /** The charger's id in assets, and the code it connects with. */
  chargerId: z.string().uuid(),
  chargerCode: z.string().min(1).max(64),
  /** The command's type on the command topic (charger.reset, config.get…). */
  command: z.string().min(1).max(64),
  status: z.enum(COMMAND_STATUSES),
  reason: z.string().max(200).nullable(),
  /** Who asked (user id or service name). */
  requestedBy: z.string().min(1).max(200),
  occurredAt: zonedTimestamp,
});
export type ChargerCommandUpdate = z.infer<typeof ChargerCommandUpdate>;

export const ChargerCommandUpdates: EventContract<ChargerCommandUpdate> = {
  topic: COMMAND_UPDATES_TOPIC,
  schema: ChargerCommandUpdate,
  key: (u) => u.chargerId,
  headers: eventHeaders,
};

export const encodeChargerCommandUpdate = (u: ChargerCommandUpdate): EncodedEvent => encodeWith(ChargerCommandUpdates, u);

/** Decode and validate an update at the edge (InvalidEventError with the reason when it doesn't match). */
export function decodeChargerCommandUpdate(value: Buffer | string | null): ChargerCommandUpdate {
  return decodeEvent(ChargerCommandUpdate, value);
}
