import { dayWindow, formatLocal, localDate, parseLocal } from '@evcs/platform';

/**
 * Alipay and WeChat Pay state times as Asia/Shanghai wall-clock text and statements per
 * Asia/Shanghai day: the channels' zone, by their protocols. The arithmetic is the platform's.
 */
export const CHANNEL_TIME_ZONE = 'Asia/Shanghai';

/** "yyyy-MM-dd HH:mm:ss" in the channels' zone → instant; null when malformed. */
export const parseShanghaiDateTime = (s: string | undefined): Date | null => parseLocal(s, CHANNEL_TIME_ZONE);

export const formatShanghaiDateTime = (d: Date): string => formatLocal(d, CHANNEL_TIME_ZONE);

/** The channels' calendar day of an instant: statements are per such day. */
export const shanghaiDate = (d: Date): string => localDate(d, CHANNEL_TIME_ZONE);

/** [start, end) of a channels' calendar day (yyyy-MM-dd) as instants. */
export const shanghaiDayRange = (date: string): { from: Date; to: Date } => dayWindow(date, CHANNEL_TIME_ZONE);
