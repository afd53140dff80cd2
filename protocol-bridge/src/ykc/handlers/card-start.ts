import { answerCardStart } from '../card-start';
import { gunNumber } from '../events';
import { CardStartRequest, cardStartReply } from '../messages';
import type { YkcHandler } from './types';

/** 0x31 → 0x32 (ykc/card-start.ts decides); an authorised start's serial is this gun's session from now on. */
export const handleCardStart: YkcHandler<CardStartRequest> = async ({ conn, services, frame, session }, m) => {
  const answer = await answerCardStart(
    {
      idTags: services.idTags,
      metrics: services.metrics,
      log: conn.log,
      now: services.now,
      stationId: conn.stationId,
      balanceFen: services.config.ykcCardBalanceFen ?? 20_000,
      nextCounter: () => conn.nextCounter(),
    },
    session,
    m,
  );
  if (!answer) return;
  if (answer.serial) conn.gunSession.set(gunNumber(m.gunNo), answer.serial);
  conn.send(cardStartReply, answer.reply, frame.seq);
};
