import { formatMoney, money, tryParseMoney } from '@evcs/platform';
import { CHANNEL_CURRENCY, type Fen } from '../domain/money';

/** 1234 → "12.34": the yuan string the channels' APIs and bills use. */
export const fenToYuan = (fen: Fen): string => formatMoney(money(fen, CHANNEL_CURRENCY));

/** "12.34" / "12.3" / "12" → 1234; null when it is not a yuan amount with at most two decimals (channel text may be padded). */
export const yuanToFen = (s: string): Fen | null => tryParseMoney(s.trim(), CHANNEL_CURRENCY)?.minor ?? null;
