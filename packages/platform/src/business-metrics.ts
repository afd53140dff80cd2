import type { Money } from './money';

/** Connector and charger counts of one tenant's fleet at one moment (what the fleet gauges show). */
export interface FleetCounts {
  tenantId: string;
  /** registered chargers */
  chargers: number;
  online: number;
  /** chargers with a connector in Charging */
  charging: number;
  /** connectors by status (Available, Charging, …, Offline) */
  connectors: Record<string, number>;
}

/**
 * The business counters, as a port: domain services report what happened (after it was
 * committed) and never see the metrics library. Every method takes the tenant first; whether
 * it becomes a label is the implementation's choice (only tenants named by configuration,
 * so the label stays bounded). No id of a charger, order or user is ever passed.
 */
export interface BusinessMetrics {
  orderCreated(tenantId: string, origin: 'API' | 'CHARGER'): void;
  orderCompleted(tenantId: string): void;
  /** reason: the failure's code (START_REJECTED, START_TIMEOUT, FORCE_CLOSED) */
  orderFailed(tenantId: string, reason: string): void;
  /** a start the charger confirmed */
  startAccepted(tenantId: string): void;
  /** a start refused by the platform (its user-error code) or by the charger (START_REJECTED, START_TIMEOUT) */
  startRefused(tenantId: string, reason: string): void;
  paymentAttempted(tenantId: string, channel: string): void;
  paymentSucceeded(tenantId: string, channel: string, amount: Money): void;
  paymentFailed(tenantId: string, channel: string): void;
  refundSettled(tenantId: string, channel: string, outcome: 'succeeded' | 'failed'): void;
  /** new discrepancies a reconciliation run found (source: orders, payments), by kind */
  discrepanciesFound(tenantId: string, source: 'orders' | 'payments', kind: string, count: number): void;
  /** the platform's bill disagreed with a re-pricing (reconciliation) or with the charger's own bill (charger_bill) */
  repricingMismatch(tenantId: string, source: 'reconciliation' | 'charger_bill'): void;
  /** The fleet gauges are read from `source` at each scrape (the assets service's counts). */
  observeFleet(source: () => Promise<readonly FleetCounts[]>): void;
}

/** Reports nothing: the default of services built without metrics (unit tests, tools). */
export const NO_BUSINESS_METRICS: BusinessMetrics = {
  orderCreated: () => undefined,
  orderCompleted: () => undefined,
  orderFailed: () => undefined,
  startAccepted: () => undefined,
  startRefused: () => undefined,
  paymentAttempted: () => undefined,
  paymentSucceeded: () => undefined,
  paymentFailed: () => undefined,
  refundSettled: () => undefined,
  discrepanciesFound: () => undefined,
  repricingMismatch: () => undefined,
  observeFleet: () => undefined,
};
