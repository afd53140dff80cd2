/**
 * How the console shows a connector's status (OCPP 1.6 names, or Offline while its charger is
 * disconnected): one colour per kind, the same on the board and a charger's page. Every colour
 * takes white text at WCAG AA (4.5:1).
 */
export type StatusKind = 'available' | 'charging' | 'busy' | 'reserved' | 'unavailable' | 'faulted' | 'offline';

const KINDS: Record<string, StatusKind> = {
  Available: 'available',
  Charging: 'charging',
  Preparing: 'busy',
  Finishing: 'busy',
  SuspendedEV: 'busy',
  SuspendedEVSE: 'busy',
  Reserved: 'reserved',
  Unavailable: 'unavailable',
  Faulted: 'faulted',
  Offline: 'offline',
};

export function statusKind(status: string): StatusKind {
  return KINDS[status] ?? 'unavailable';
}

/** A random idempotency key for one command or session start (a retry of the same click reuses it). */
export function idempotencyKey(): string {
  return `console-${crypto.randomUUID()}`;
}
