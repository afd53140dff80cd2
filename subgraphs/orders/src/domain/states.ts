/**
 * The life of a charging order, from plug to bill:
 *
 *   PENDING ──▶ CHARGING ──▶ FINISHING ──▶ COMPLETED ──▶ TO_PAY ──▶ PAID ──▶ PARTIALLY_REFUNDED ──▶ REFUNDED
 *      │            │                          │                     ▲   └──────────────────────────▶ REFUNDED
 *      ▼            └──────────────────────────┘ (stop without a      │
 *    FAILED                                       Finishing status)   └── COMPLETED ─▶ PAID (a payment we saw only succeed)
 *
 * PENDING: asked for (API) and sent to the charger, not yet confirmed.
 * FAILED: the charger refused or never confirmed the start; terminal.
 * COMPLETED: stopped and priced; the bill is final. TO_PAY: a payment was started.
 */
export const ORDER_STATES = ['PENDING', 'CHARGING', 'FINISHING', 'COMPLETED', 'FAILED', 'TO_PAY', 'PAID', 'PARTIALLY_REFUNDED', 'REFUNDED'] as const;
export type OrderState = (typeof ORDER_STATES)[number];

const NEXT: Record<OrderState, readonly OrderState[]> = {
  PENDING: ['CHARGING', 'FAILED', 'COMPLETED'],
  CHARGING: ['FINISHING', 'COMPLETED'],
  FINISHING: ['COMPLETED'],
  COMPLETED: ['TO_PAY', 'PAID'],
  TO_PAY: ['PAID', 'COMPLETED'],
  PAID: ['PARTIALLY_REFUNDED', 'REFUNDED'],
  PARTIALLY_REFUNDED: ['PARTIALLY_REFUNDED', 'REFUNDED'],
  FAILED: [],
  REFUNDED: [],
};

/** States in which the charger may still be delivering energy. */
export const ACTIVE_STATES: readonly OrderState[] = ['PENDING', 'CHARGING', 'FINISHING'];

export const canTransition = (from: OrderState, to: OrderState): boolean => NEXT[from].includes(to);

/** The states from which `to` can be reached: what a conditional UPDATE's WHERE names. */
export const statesLeadingTo = (to: OrderState): OrderState[] => ORDER_STATES.filter((s) => NEXT[s].includes(to));

export class IllegalTransitionError extends Error {
  readonly code = 'ILLEGAL_TRANSITION';
  constructor(
    readonly from: OrderState,
    readonly to: OrderState,
  ) {
    super(`An order in state ${from} cannot become ${to}`);
  }
}

export function assertTransition(from: OrderState, to: OrderState): void {
  if (!canTransition(from, to)) throw new IllegalTransitionError(from, to);
}
