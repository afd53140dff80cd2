import { BillingModelVerify, billingModelVerifyReply } from '../messages';
import type { YkcHandler } from './types';

/** 0x05 → 0x06: is the model the pile holds the platform's? Without a platform model the pile's own stays valid. */
export const handleBillingModelVerify: YkcHandler<BillingModelVerify> = async ({ conn, services, frame, session }, m) => {
  conn.modelNo = m.modelNo;
  const model = await services.billingModels.modelFor(session.ctx.tenantId, m.pileNo);
  conn.send(billingModelVerifyReply, { pileNo: m.pileNo, modelNo: m.modelNo, current: !model || model.modelNo === m.modelNo }, frame.seq);
};
