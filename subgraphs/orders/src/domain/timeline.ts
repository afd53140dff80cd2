import type { OrderState } from './states';

/** Who moved an order: the API (a user's request), the charger, a platform job, an operator, or the payments side. */
export const TRANSITION_SOURCES = ['API', 'CHARGER', 'RECONCILIATION', 'OPERATOR', 'PAYMENT'] as const;
export type TransitionSource = (typeof TRANSITION_SOURCES)[number];

/** One state change of an order, as stored (order_transitions). */
export interface OrderTransition {
  at: Date;
  /** null for the order's first state */
  from: OrderState | null;
  to: OrderState;
  /** why: one of the platform's reasons, or the stop reason the charger sent */
  reason: string | null;
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
