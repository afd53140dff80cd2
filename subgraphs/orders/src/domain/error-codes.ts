import { defineCodes } from '@evcs/platform';

/** userError codes the orders mutations return. */
export const UserErrorCodes = defineCodes({
  INVALID_INPUT: 'A field is malformed or out of range (connector number, idempotency key, pre-authorised amount, time zone, note); the field names it.',
  NOT_FOUND: 'The charger, connector, order or discrepancy does not exist in this tenant.',
  CONNECTOR_BUSY: 'A session is already active on this connector.',
  IDEMPOTENCY_KEY_REUSED: 'The idempotency key was used before for a different request.',
  ILLEGAL_TRANSITION: 'The order is not in a state that allows this (stopping an order that is not charging, closing one that is not active).',
  CONFLICT: 'A concurrent change won (the order changed meanwhile, or too many starts on one connector within a second); look again and retry.',
  RUN_IN_PROGRESS: 'This day is being reconciled right now.',
});
