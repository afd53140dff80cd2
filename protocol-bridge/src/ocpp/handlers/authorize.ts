import type { AuthorizeConfirmation, AuthorizeRequest } from '../messages';
import type { OcppHandler } from './types';

/**
 * Authorize: the platform has no id-token authority yet (the orders side will
 * own it), so every well-formed tag is Accepted and the decision left to the
 * session's billing. Nothing is published: the StartTransaction that follows
 * carries the tag.
 */
export const handleAuthorize: OcppHandler<AuthorizeRequest, AuthorizeConfirmation> = async (ctx, req) => {
  ctx.log.debug({ idTag: req.idTag }, 'Authorize');
  return { idTagInfo: { status: 'Accepted' } };
};
