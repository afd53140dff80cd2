import { idTagInfo } from '../../id-tags';
import type { AuthorizeConfirmation, AuthorizeRequest } from '../messages';
import type { OcppHandler } from './types';

/**
 * Authorize: the tenant's id-token authority answers (unknown tags Invalid,
 * unless the station is free-vending). When the authority can't be reached the
 * answer is Invalid — fail closed: a charger that must keep serving its
 * drivers then has the local list the bridge keeps in step (SendLocalList)
 * for when it is offline. Nothing is published: the StartTransaction that
 * follows carries the tag and is checked again.
 */
export const handleAuthorize: OcppHandler<AuthorizeRequest, AuthorizeConfirmation> = async (ctx, req) => {
  // A remote start's own tag (AuthorizeRemoteTxRequests): the platform authorised it when it sent it.
  if (ctx.remoteStartTags?.has(req.idTag)) return { idTagInfo: { status: 'Accepted' } };
  try {
    const answer = await ctx.idTags.authorize(ctx.session.ctx.tenantId, req.idTag, ctx.stationId);
    ctx.metrics.count('OCPP16', `authorize_${answer.status}`);
    return { idTagInfo: idTagInfo(answer) };
  } catch (err) {
    ctx.metrics.count('OCPP16', 'authorize_authority_unavailable');
    ctx.log.warn({ err }, 'id-tag authority unavailable; Authorize answered Invalid');
    return { idTagInfo: { status: 'Invalid' } };
  }
};
