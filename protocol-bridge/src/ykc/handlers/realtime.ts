import { gunNumber, NO_SERIAL, realTimeMeterEvent, realTimeStatusEvent } from '../events';
import type { RealTimeData } from '../messages';
import type { YkcHandler } from './types';

/**
 * 0x13, also the reply to a real_time_data.read command. Status changes become connector.status_changed,
 * a charging gun's data session.meter_values, and a session first seen here (card, VIN, offline) is
 * announced as session.started (LOCAL). No reply: a failed publish is counted; the next report (15 s)
 * carries the same totals.
 */
export const handleRealTime: YkcHandler<RealTimeData> = async ({ conn, services, session }, m) => {
  conn.settle(`0x13:${m.gunNo}`, m);
  const gun = gunNumber(m.gunNo);
  try {
    const status = realTimeStatusEvent(session.ctx, session.stamp(), m);
    if (conn.gunStatus.get(gun) !== status.data.status) {
      await session.publish(status);
      conn.gunStatus.set(gun, status.data.status);
    }
    if (m.status !== 3) return;
    if (!NO_SERIAL.test(m.serial) && conn.gunSession.get(gun) !== m.serial) {
      conn.gunSession.set(gun, m.serial);
      await session.emit('session.started', {
        connectorId: gun,
        transactionId: m.serial,
        startedAt: new Date(services.now().getTime() - m.chargingMinutes * 60_000).toISOString(),
        trigger: 'LOCAL',
      });
    }
    await session.publish(realTimeMeterEvent(session.ctx, session.stamp(), m));
  } catch (err) {
    services.metrics.count('YKC', 'real_time_publish_failed');
    conn.log.warn({ err }, 'could not publish YKC real-time data');
  }
};
