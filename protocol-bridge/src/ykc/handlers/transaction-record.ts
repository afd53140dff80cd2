import { gunNumber, recordStoppedEvent, transactionRecordedEvent } from '../events';
import { TransactionRecord, transactionRecordConfirm } from '../messages';
import type { YkcHandler } from './types';

/**
 * 0x3B: claim the serial (unique in Postgres); publish unless an earlier
 * copy already was; only then confirm with 0x40. A resend of a published
 * record is confirmed again without a second event.
 */
export const handleTransactionRecord: YkcHandler<TransactionRecord> = async ({ conn, services, frame, session }, m) => {
  const { store, metrics } = services;
  const tenantId = session.ctx.tenantId;
  const claim = await store.claimTransactionRecord(tenantId, { serial: m.serial, chargerCode: session.chargerId, gunNo: gunNumber(m.gunNo) });
  if (claim === 'published') {
    metrics.count('YKC', 'transaction_record_resend');
    conn.log.info({ serial: m.serial }, 'transaction record resent after it was published; confirming again');
  } else {
    await session.publish(transactionRecordedEvent(session.ctx, session.stamp(), m));
    await session.publish(recordStoppedEvent(session.ctx, session.stamp(), m));
    await store.markRecordPublished(tenantId, m.serial);
  }
  conn.send(transactionRecordConfirm, { serial: m.serial, accepted: true }, frame.seq);
};
