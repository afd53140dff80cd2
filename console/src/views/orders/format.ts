import type { OrderState } from '../../gql/graphql';

export const ORDER_STATES: OrderState[] = ['PENDING', 'CHARGING', 'FINISHING', 'COMPLETED', 'FAILED', 'TO_PAY', 'PAID', 'PARTIALLY_REFUNDED', 'REFUNDED'];

/** A session still running: its progress moves, it may be stopped or force-closed. */
export const ACTIVE_STATES: OrderState[] = ['PENDING', 'CHARGING', 'FINISHING'];

const TAGS: Partial<Record<OrderState, 'success' | 'warning' | 'danger' | 'info' | 'primary'>> = {
  PENDING: 'info',
  CHARGING: 'primary',
  FINISHING: 'warning',
  FAILED: 'danger',
  TO_PAY: 'warning',
  PAID: 'success',
  PARTIALLY_REFUNDED: 'success',
  REFUNDED: 'info',
};

export function stateTag(state: OrderState): 'success' | 'warning' | 'danger' | 'info' | 'primary' {
  return TAGS[state] ?? 'info';
}

/** A time in the viewer's zone and language; '—' for none. */
export function formatTime(iso: string | null | undefined, locale: string): string {
  return iso ? new Date(iso).toLocaleString(locale, { hour12: false }) : '—';
}

/** W → kW with 1 decimal, without floats beyond display: power is an integer of W. */
export function formatKw(w: number | null | undefined): string {
  if (w === null || w === undefined) return '—';
  const tenths = Math.round(w / 100);
  return `${Math.trunc(tenths / 10)}.${Math.abs(tenths % 10)}`;
}

/** How many decimals a currency has, read off a formatted amount ("12.34" → 2, "1234" → 0). */
export function decimalsOf(formatted: string): number {
  const dot = formatted.indexOf('.');
  return dot < 0 ? 0 : formatted.length - dot - 1;
}

/** Integer minor units as major units with the currency's decimals (string arithmetic, never a float). */
export function formatMinor(minor: number, decimals: number): string {
  const digits = String(Math.abs(minor)).padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals);
  const sign = minor < 0 ? '-' : '';
  return decimals === 0 ? `${sign}${whole}` : `${sign}${whole}.${digits.slice(-decimals)}`;
}

/** Major units typed by a person ("12.3") as integer minor units, or null when it is not an amount. */
export function toMinor(text: string, decimals: number): number | null {
  const m = new RegExp(decimals > 0 ? `^(\\d+)(?:\\.(\\d{1,${decimals}}))?$` : '^(\\d+)$').exec(text.trim());
  if (!m) return null;
  const minor = Number(`${m[1]}${(m[2] ?? '').padEnd(decimals, '0')}`);
  return Number.isSafeInteger(minor) ? minor : null;
}
