/** One YKC message type: its body codec, both ways (the bridge decodes uplink and encodes downlink; the simulator the reverse). */
export interface YkcMessage<T> {
  type: number;
  name: string;
  /** up = pile → platform, down = platform → pile. */
  direction: 'up' | 'down';
  decode(body: Buffer): T;
  encode(msg: T): Buffer;
}

/** Pile number: 7-byte BCD, 14 digits. */
export const PILE_BYTES = 7;
/** Gun number: 1-byte BCD. */
export const GUN_BYTES = 1;
/** Transaction serial: 16-byte BCD (pile + gun + yyMMddHHmmss + counter), the session's idempotency key. */
export const SERIAL_BYTES = 16;

export function defineMessage<T>(m: YkcMessage<T>): YkcMessage<T> {
  return m;
}
