import { gunNumber } from '../events';
import { Heartbeat, heartbeatReply } from '../messages';
import type { YkcHandler } from './types';

/** 0x03 → 0x04. A fault flag is a status change; the bus hears of the beats once per heartbeat interval. */
export const handleHeartbeat: YkcHandler<Heartbeat> = async ({ conn, services, frame, session }, m) => {
  const gun = gunNumber(m.gunNo);
  if (m.faulted && conn.gunStatus.get(gun) !== 'Faulted') {
    conn.gunStatus.set(gun, 'Faulted');
    await session.emit('connector.status_changed', { connectorId: gun, status: 'Faulted', errorCode: 'YKC_HEARTBEAT_FAULT' });
  }
  // Piles beat every 10 s per gun: the bus hears of it once per heartbeat interval.
  const t = services.now().getTime();
  if (t - conn.lastHeartbeatEventAt >= services.config.heartbeatIntervalS * 1000) {
    conn.lastHeartbeatEventAt = t;
    await session.emit('charger.heartbeat', {});
  }
  conn.send(heartbeatReply, { pileNo: m.pileNo, gunNo: m.gunNo }, frame.seq);
};
