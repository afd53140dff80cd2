/**
 * Amounts inside the service are integer minor units of the payment's currency
 * (fen: the channels settle CNY only), i.e. platform Money's `minor`; the
 * currency travels beside them on the payment. Channels that speak yuan strings
 * convert at their edge (channels/yuan.ts, over the platform money module).
 */
export type Fen = number;

/** What Alipay and WeChat Pay settle in. */
export const CHANNEL_CURRENCY = 'CNY';
