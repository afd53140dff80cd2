import { BillingModelRequest, billingModelReply } from '../messages';
import type { YkcHandler } from './types';

/** 0x09 → 0x0A: the platform's model for the pile; none known: no answer (the pile keeps its own). */
export const handleBillingModelRequest: YkcHandler<BillingModelRequest> = async ({ conn, services, frame, session }, m) => {
  const model = await services.billingModels.modelFor(session.ctx.tenantId, m.pileNo);
  if (!model) {
    services.metrics.count('YKC', 'billing_model_unavailable');
    conn.log.warn({ chargerId: conn.pileNo }, 'pile asked for a billing model and the platform has none for it');
    return;
  }
  conn.modelNo = model.modelNo;
  conn.send(billingModelReply, { ...model, pileNo: m.pileNo }, frame.seq);
};
