import { gunNumber } from '../events';
import type { RemoteStartReply, RemoteStopReply } from '../messages';
import type { YkcHandler } from './types';

/**
 * Replies to the platform's commands (ykc/commands.ts waits for them by key).
 * A started remote start is also the session's start on the bus (REMOTE).
 */
export const handleRemoteStartReply: YkcHandler<RemoteStartReply> = async ({ conn, services, session }, m) => {
  if (m.started) {
    conn.gunSession.set(gunNumber(m.gunNo), m.serial);
    await session.emit('session.started', {
      connectorId: gunNumber(m.gunNo),
      transactionId: m.serial,
      startedAt: services.now().toISOString(),
      trigger: 'REMOTE',
    });
  }
  conn.settle(`0x33:${m.serial}`, m);
};

/** 0x35: remote stop, by gun. */
export const handleRemoteStopReply: YkcHandler<RemoteStopReply> = async ({ conn }, m) => conn.settle(`0x35:${m.gunNo}`, m);

/** 0x51 working parameters, 0x55 time sync, 0x57 set billing model, 0x91 reboot: one outstanding per pile, keyed by type. */
export const handleReply: YkcHandler<unknown> = async ({ conn, frame }, m) => conn.settle(`0x${frame.type.toString(16)}`, m);
