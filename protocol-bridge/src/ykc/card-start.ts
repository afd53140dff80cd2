import type { Logger } from '@evcs/platform';
import type { ChargerSession } from '../connections/charger-session';
import type { ProtocolMetrics } from '../connections/diagnostics';
import { chargerEvent } from '../connections/events';
import type { AuthorizationStatus, IdTagAuthority } from '../ports';
import { gunNumber } from './events';
import { CARD_START_MODES, CARD_START_REFUSALS, CardStartReply, CardStartRequest } from './messages';

export interface CardStartDeps {
  idTags: IdTagAuthority;
  metrics: ProtocolMetrics;
  log: Logger;
  now(): Date;
  /** The pile's station (free vending may be per station). */
  stationId?: string;
  /** What an authorised card may spend, in fen (0x32 balance; piles refuse to start on 0). */
  balanceFen: number;
  /** The next value of the connection's serial counter. */
  nextCounter(): number;
}

/**
 * The id tag a card start names. Card and account numbers are 8 bytes of
 * binary, zero-padded in front: their hex digits without the padding, upper
 * case — what an OCPP reader shows for the same card's UID, so one card is one
 * tag on both protocols. A VIN start is its VIN (17 characters: a valid OCPP
 * idTag too, so VINs are registered like cards).
 */
export function cardIdTag(m: Pick<CardStartRequest, 'startMode' | 'card' | 'vin'>): string | null {
  if (m.startMode === CARD_START_MODES.VIN) return /^[!-~]{1,20}$/.test(m.vin) ? m.vin : null;
  let i = 0;
  while (i < m.card.length - 1 && m.card[i] === 0) i++;
  const hex = m.card.subarray(i).toString('hex').toUpperCase();
  return /^0+$/.test(hex) ? null : hex;
}

/** The platform's serial layout (document): pile (14) + gun (2) + yyMMddHHmmss in the station's time (China, +08:00) + counter (4). */
export function cardStartSerial(pileNo: string, gunNo: string, at: Date, counter: number): string {
  const local = new Date(at.getTime() + 8 * 3600_000).toISOString();
  const stamp = local.slice(2, 4) + local.slice(5, 7) + local.slice(8, 10) + local.slice(11, 13) + local.slice(14, 16) + local.slice(17, 19);
  return `${pileNo}${gunNo}${stamp}${String(counter % 10_000).padStart(4, '0')}`;
}

/** Why a card is refused, in the document's 0x32 codes. */
function refusal(status: AuthorizationStatus, vin: boolean): number {
  switch (status) {
    case 'Blocked':
    case 'Expired':
      return CARD_START_REFUSALS.ACCOUNT_FROZEN;
    case 'ConcurrentTx':
      return CARD_START_REFUSALS.CARD_HAS_UNSETTLED_RECORD;
    default:
      return vin ? CARD_START_REFUSALS.VIN_UNKNOWN : CARD_START_REFUSALS.ACCOUNT_UNKNOWN;
  }
}

/**
 * 0x31: a driver started at the pile (card, account or VIN). The tenant's
 * id-token authority decides, as for OCPP Authorize. Authorised: a serial is
 * issued, `session.started` is published (trigger LOCAL, idTag = the card,
 * userId = the card's owner) — so orders opens a CHARGER order for the card's
 * user — and only then 0x32 says yes. Refused: 0x32 says why, nothing is
 * published. Authority unreachable: no answer (`null`); the pile times out and
 * the driver tries again, as with a login the directory can't answer.
 *
 * The card's password (MD5) is not checked: the platform keeps no card PINs.
 */
export async function answerCardStart(
  deps: CardStartDeps,
  session: ChargerSession,
  m: CardStartRequest,
): Promise<{ reply: CardStartReply; serial?: string } | null> {
  const idTag = cardIdTag(m);
  const serial = cardStartSerial(m.pileNo, m.gunNo, deps.now(), deps.nextCounter());
  const refuse = (reason: number): { reply: CardStartReply } => ({
    reply: { serial, pileNo: m.pileNo, gunNo: m.gunNo, logicalCard: '0', balanceX100: 0, authorised: false, reason },
  });
  if (!idTag) {
    deps.metrics.count('YKC', 'card_start_no_card');
    return refuse(m.startMode === CARD_START_MODES.VIN ? CARD_START_REFUSALS.VIN_UNKNOWN : CARD_START_REFUSALS.ACCOUNT_UNKNOWN);
  }
  let answer;
  try {
    answer = await deps.idTags.authorize(session.ctx.tenantId, idTag, deps.stationId);
  } catch (err) {
    deps.metrics.count('YKC', 'card_start_authority_unavailable');
    deps.log.warn({ err }, 'id-tag authority unavailable; card start left unanswered');
    return null;
  }
  deps.metrics.count('YKC', `card_start_${answer.status}`);
  if (answer.status !== 'Accepted') return refuse(refusal(answer.status, m.startMode === CARD_START_MODES.VIN));
  const startedAt = deps.now().toISOString();
  await session.publish(
    chargerEvent(
      session.ctx,
      session.stamp(),
      'session.started',
      {
        connectorId: gunNumber(m.gunNo),
        transactionId: serial,
        idTag,
        startedAt,
        trigger: 'LOCAL',
        authorization: answer.status,
        ...(answer.userId ? { userId: answer.userId } : {}),
      },
      startedAt,
    ),
  );
  // The logical card a pile shows: the tag itself when it is digits that fit, else 0.
  const logicalCard = /^\d{1,16}$/.test(idTag) ? idTag : '0';
  return { reply: { serial, pileNo: m.pileNo, gunNo: m.gunNo, logicalCard, balanceX100: deps.balanceFen, authorised: true, reason: 0 }, serial };
}
