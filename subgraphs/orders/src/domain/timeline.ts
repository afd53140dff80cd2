import type { OrderState } from './states';

/** Who moved an order: the API (a user's request), the charger, a platform job, an operator, or the payments side. */
export const TRANSITION_SOURCES = ['API', 'CHARGER', 'RECONCILIATION', 'OPERATOR', 'PAYMENT'] as const;
export type TransitionSource = (typeof TRANSITION_SOURCES)[number];

/**
 * The charger message behind a state change: the charger event that caused it, as the bridge
 * published it (packages/events charger-events). Kept so an order's timeline can show what
 * the charger said, not only what the platform concluded.
 */
export interface ChargerMessage {
  /** the event's id: unique, what orders' inbox records it under */
  eventId: string;
  /** the event's type: session.started, session.stopped, transaction.recorded, command.result */
  type: string;
  /** the protocol it came in: OCPP16, YKC, SIMULATED (injected by an operator) or BRIDGE (said by the bridge itself) */
  protocol: string;
  /** when it happened at the charger (or when the bridge observed it): the event's occurredAt */
  occurredAt: Date;
}

/** One state change of an order, as stored (order_transitions). */
export interface OrderTransition {
  at: Date;
  /** null for the order's first state */
  from: OrderState | null;
  to: OrderState;
  /** why: one of the platform's reasons, or the stop reason the charger sent */
  reason: string | null;
  /** the charger message that caused it; null when nothing from a charger did (or it was stored before these were kept) */
  chargerMessage: ChargerMessage | null;
}

/**
 * The source of each reason the session service writes. A reason not named here is a stop
 * reason the charger sent (StopTransaction's reason, or STOPPED when it sent none). A start
 * the charger never confirmed is failed by the platform's timeout job: RECONCILIATION.
 */
const SOURCE_OF_REASON: Record<string, TransitionSource> = {
  REQUESTED: 'API',
  STOP_REQUESTED: 'API',
  STARTED_AT_CHARGER: 'CHARGER',
  STARTED: 'CHARGER',
  START_REJECTED: 'CHARGER',
  CHARGER_RECORD: 'CHARGER',
  STOPPED: 'CHARGER',
  START_TIMEOUT: 'RECONCILIATION',
  FORCE_CLOSED: 'OPERATOR',
  PAYABLE: 'PAYMENT',
  PAYMENT_SUCCEEDED: 'PAYMENT',
  REFUND_SUCCEEDED: 'PAYMENT',
};

export function transitionSource(t: Pick<OrderTransition, 'reason'>): TransitionSource {
  const reason = t.reason ?? '';
  // A force-close completes with the operator's words after the code: "FORCE_CLOSED: <reason>".
  if (reason === 'FORCE_CLOSED' || reason.startsWith('FORCE_CLOSED:')) return 'OPERATOR';
  return SOURCE_OF_REASON[reason] ?? 'CHARGER';
}
