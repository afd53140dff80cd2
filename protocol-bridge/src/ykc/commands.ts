import type { ChargerCommand } from '@evcs/events';
import type { ChargerSession } from '../connections/charger-session';
import type { BillingModelPush, CommandOutcome, LiveConnection } from '../connections/registry';
import type { YkcConnection } from './connection';
import {
  BillingModel,
  readRealTimeData,
  RealTimeData,
  reboot,
  REMOTE_START_FAILURES,
  REMOTE_STOP_FAILURES,
  remoteStart,
  RemoteStartReply,
  remoteStop,
  RemoteStopReply,
  setBillingModel,
  timeSync,
  workingParameters,
} from './messages';

/**
 * Platform commands → YKC messages (the YKC side of ocpp/commands.ts): each
 * sends one message and waits for the pile's reply, which the reply handlers
 * (handlers/replies.ts) hand over with `conn.settle`.
 */

type CommandOf<T extends ChargerCommand['command']['type']> = Extract<ChargerCommand['command'], { type: T }>;

const failed = (reason: string): CommandOutcome => ({ status: 'FAILED', reason });

/** A YKC gun number: two digits. */
const gunOf = (connectorId: number) => String(connectorId).padStart(2, '0');

/** The registry entry of a logged-in pile. */
export function ykcLiveConnection(conn: YkcConnection, session: ChargerSession): LiveConnection<'YKC'> {
  return {
    session,
    protocol: 'YKC',
    remoteAddress: conn.remoteAddress,
    handle: { pushBillingModel: (timeoutMs) => pushBillingModel(conn, timeoutMs) },
    close: (reason) => conn.end(reason),
    execute: (c) => executeYkcCommand(conn, c),
  };
}

export async function executeYkcCommand(conn: YkcConnection, command: ChargerCommand): Promise<CommandOutcome> {
  const c = command.command;
  const t = command.timeoutMs;
  switch (c.type) {
    case 'session.start':
      return startSession(conn, c, t);
    case 'session.stop':
      return stopSession(conn, c, t);
    case 'charger.reset':
      return rebootPile(conn, c, t);
    case 'real_time_data.read':
      return readRealTime(conn, c, t);
    case 'billing_model.set':
      return setModel(conn, c, t);
    case 'time.sync':
      return syncTime(conn, t);
    case 'working_parameters.set':
      return setWorkingParameters(conn, c, t);
    default:
      return failed(`NOT_SUPPORTED: ${c.type} has no YKC message`);
  }
}

/** Bring the pile to the platform's model if it holds another one. */
async function pushBillingModel(conn: YkcConnection, timeoutMs: number): Promise<BillingModelPush> {
  const { session, pileNo } = conn;
  if (!session || !pileNo) return 'none';
  const model = await conn.services.billingModels.modelFor(session.ctx.tenantId, pileNo);
  if (!model) return 'none';
  if (model.modelNo === conn.modelNo) return 'current';
  const r = await conn.request<{ applied: boolean }>('0x57', timeoutMs, () => conn.send(setBillingModel, model));
  if (typeof r === 'string' || !r.applied) {
    conn.services.metrics.count('YKC', 'billing_model_push_failed');
    conn.log.warn({ chargerId: pileNo, modelNo: model.modelNo, outcome: typeof r === 'string' ? r : 'REJECTED' }, 'pile did not take the new billing model');
    return 'failed';
  }
  conn.modelNo = model.modelNo;
  conn.log.info({ chargerId: pileNo, modelNo: model.modelNo }, 'billing model pushed to pile');
  return 'pushed';
}

async function startSession(conn: YkcConnection, c: CommandOf<'session.start'>, t: number): Promise<CommandOutcome> {
  // A pile refuses to start on 0.00: say so here rather than have it refuse (and record) a start.
  if (!c.balanceCents) return failed('INVALID: a YKC start needs balanceCents > 0 (what the session may spend)');
  const pileNo = conn.pileNo!;
  const gunNo = gunOf(c.connectorId);
  const serial = c.transactionId ?? conn.newSerial(gunNo);
  // Logical card: the platform's id tag, when it is digits; YKC piles show it, they don't check it.
  const card = /^\d{1,16}$/.test(c.idTag) ? c.idTag : '0';
  const r = await conn.request<RemoteStartReply>(`0x33:${serial}`, t, () =>
    conn.send(remoteStart, { serial, pileNo, gunNo, logicalCard: card, physicalCard: card, balanceX100: c.balanceCents! }),
  );
  if (typeof r === 'string') return failed(r);
  const response = { transactionId: serial, started: r.started, reason: r.reason };
  return r.started ? { status: 'ACCEPTED', response } : { status: 'REJECTED', reason: REMOTE_START_FAILURES[r.reason] ?? `CODE_${r.reason}`, response };
}

async function stopSession(conn: YkcConnection, c: CommandOf<'session.stop'>, t: number): Promise<CommandOutcome> {
  if (c.connectorId === undefined) return failed('NOT_SUPPORTED: YKC remote stop needs connectorId (the gun)');
  const pileNo = conn.pileNo!;
  const gunNo = gunOf(c.connectorId);
  const r = await conn.request<RemoteStopReply>(`0x35:${gunNo}`, t, () => conn.send(remoteStop, { pileNo, gunNo }));
  if (typeof r === 'string') return failed(r);
  return r.stopped ? { status: 'ACCEPTED' } : { status: 'REJECTED', reason: REMOTE_STOP_FAILURES[r.reason] ?? `CODE_${r.reason}` };
}

async function rebootPile(conn: YkcConnection, c: CommandOf<'charger.reset'>, t: number): Promise<CommandOutcome> {
  const pileNo = conn.pileNo!;
  const r = await conn.request<{ accepted: boolean }>('0x91', t, () => conn.send(reboot, { pileNo, when: c.kind === 'Hard' ? 'now' : 'idle' }));
  if (typeof r === 'string') return failed(r);
  return r.accepted ? { status: 'ACCEPTED' } : { status: 'REJECTED' };
}

async function readRealTime(conn: YkcConnection, c: CommandOf<'real_time_data.read'>, t: number): Promise<CommandOutcome> {
  const pileNo = conn.pileNo!;
  const gunNo = gunOf(c.connectorId);
  const r = await conn.request<RealTimeData>(`0x13:${gunNo}`, t, () => conn.send(readRealTimeData, { pileNo, gunNo }));
  if (typeof r === 'string') return failed(r);
  return { status: 'ACCEPTED', response: { ...r, gunLineCode: r.gunLineCode.toString('hex') } };
}

async function setModel(conn: YkcConnection, c: CommandOf<'billing_model.set'>, t: number): Promise<CommandOutcome> {
  const pileNo = conn.pileNo!;
  const tiers = c.tiers.map((x) => ({ electricity: x.energyRate, service: x.serviceRate })) as BillingModel['tiers'];
  const model: BillingModel = { pileNo, modelNo: c.modelNo, tiers, lossRatio: c.lossRatio, slots: c.slots };
  const r = await conn.request<{ applied: boolean }>('0x57', t, () => conn.send(setBillingModel, model));
  if (typeof r === 'string') return failed(r);
  if (r.applied) conn.modelNo = c.modelNo;
  return r.applied ? { status: 'ACCEPTED', response: { modelNo: c.modelNo } } : { status: 'REJECTED' };
}

async function syncTime(conn: YkcConnection, t: number): Promise<CommandOutcome> {
  const pileNo = conn.pileNo!;
  const r = await conn.request<{ time: Date }>('0x55', t, () => conn.send(timeSync, { pileNo, time: conn.services.now() }));
  if (typeof r === 'string') return failed(r);
  return { status: 'ACCEPTED', response: { pileTime: r.time.toISOString() } };
}

async function setWorkingParameters(conn: YkcConnection, c: CommandOf<'working_parameters.set'>, t: number): Promise<CommandOutcome> {
  const pileNo = conn.pileNo!;
  const r = await conn.request<{ applied: boolean }>('0x51', t, () =>
    conn.send(workingParameters, { pileNo, enabled: c.enabled, maxOutputPercent: c.maxOutputPercent }),
  );
  if (typeof r === 'string') return failed(r);
  return r.applied ? { status: 'ACCEPTED', response: { enabled: c.enabled, maxOutputPercent: c.maxOutputPercent } } : { status: 'REJECTED' };
}
