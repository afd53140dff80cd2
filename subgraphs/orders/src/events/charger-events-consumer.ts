import { CHARGER_EVENTS_TOPIC, ChargerEvent, decodeChargerEvent } from '@evcs/events';
import { applyInTenantRuns, type DeadLetterRecorder, type EventBus, type MessageHandler, type RetryBackoff, type Subscription } from '@evcs/platform';
import type { MeterReading } from '../domain/meter';
import type { FactOutcome, SessionService } from '../domain/session-service';

export interface ChargerEventsConsumerOptions {
  bus: EventBus;
  sessions: SessionService;
  /** where events that can never be applied go (the service's dead letters) */
  deadLetters: DeadLetterRecorder;
  topic?: string;
  groupId: string;
  fromBeginning?: boolean;
  retryBackoff?: RetryBackoff;
}

/** kWh decimal string → whole Wh, exactly (no floats): "12.3456" → 12346 (half-up on the 4th place). */
export function kwhToWh(kwh: string): number {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(kwh);
  if (!m) throw new RangeError(`not a kWh value: ${kwh}`);
  const frac = (m[2] ?? '').padEnd(4, '0');
  const wh = BigInt(m[1]) * 1000n + BigInt(frac.slice(0, 3));
  return Number(Number(frac[3]) >= 5 ? wh + 1n : wh);
}

/** The energy register out of an OCPP-style sampled value, in Wh; null if this sample isn't one. */
export function registerWh(sample: { measurand: string; value: string; unit?: string; format?: string }): number | null {
  if (sample.measurand !== 'Energy.Active.Import.Register' || sample.format === 'SignedData') return null;
  const unit = sample.unit ?? 'Wh';
  if (!/^\d+(\.\d+)?$/.test(sample.value)) return null;
  if (unit === 'kWh') return kwhToWh(sample.value);
  if (unit === 'Wh') return Number(sample.value.split('.')[0]);
  return null;
}

/**
 * Energy charged since the session started, in Wh, out of a sample that says so (YKC 0x13
 * charged energy, `sinceStart`); null otherwise.
 */
export function sinceStartWh(sample: { measurand: string; value: string; unit?: string; format?: string; sinceStart?: boolean }): number | null {
  if (!sample.sinceStart || sample.format === 'SignedData' || !/^\d+(\.\d+)?$/.test(sample.value)) return null;
  if (sample.measurand !== 'Energy.Active.Import.Interval' && sample.measurand !== 'Energy.Active.Import.Register') return null;
  const unit = sample.unit ?? 'Wh';
  if (unit === 'kWh') return kwhToWh(sample.value);
  if (unit === 'Wh') return Number(sample.value.split('.')[0]);
  return null;
}

type Sample = { measurand: string; value: string; unit?: string; format?: string; phase?: string };

/** A non-negative decimal string × 10^shift as a whole number, half-up, exactly (no floats); null if not one. */
function scaledHalfUp(value: string, shift: number): number | null {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(value);
  if (!m) return null;
  const frac = (m[2] ?? '').padEnd(shift + 1, '0');
  const whole = BigInt(m[1] + frac.slice(0, shift));
  const n = Number(Number(frac[shift]) >= 5 ? whole + 1n : whole);
  return Number.isSafeInteger(n) ? n : null;
}

const PHASES = [
  ['L1', 'L2', 'L3'],
  ['L1-N', 'L2-N', 'L3-N'],
];

/**
 * Active import power of one reading, W (half-up), out of its `Power.Active.Import` samples
 * in W or kW: the total (a sample without phase) when there is one, else the sum of its
 * phases; null when the reading has none.
 */
export function powerW(samples: readonly Sample[]): number | null {
  const watts = (s: Sample): number | null =>
    s.measurand !== 'Power.Active.Import' || s.format === 'SignedData'
      ? null
      : s.unit === 'W'
        ? scaledHalfUp(s.value, 0)
        : s.unit === 'kW'
          ? scaledHalfUp(s.value, 3)
          : null;
  const total = samples
    .filter((s) => s.phase === undefined)
    .map(watts)
    .filter((w) => w !== null)
    .at(-1);
  if (total !== undefined) return total;
  for (const names of PHASES) {
    const parts = samples
      .filter((s) => s.phase !== undefined && names.includes(s.phase))
      .map(watts)
      .filter((w) => w !== null);
    if (parts.length) return parts.reduce((a, b) => a + b, 0);
  }
  return null;
}

/**
 * The vehicle's state of charge of one reading, whole % (half-up), 0..100; null when not
 * reported. Its unit is Percent (the bridge makes it explicit), or none; Wh too, as bridges
 * before 2026-12-03 filled OCPP's energy default in for every bare sample (events still in the log).
 */
export function socPercent(samples: readonly Sample[]): number | null {
  const s = samples
    .filter((x) => x.measurand === 'SoC' && x.format !== 'SignedData' && (x.unit === undefined || x.unit === 'Percent' || x.unit === 'Wh'))
    .at(-1);
  const v = s ? scaledHalfUp(s.value, 0) : null;
  return v !== null && v <= 100 ? v : null;
}

type MeterValuesEvent = Extract<ChargerEvent, { type: 'session.meter_values' }>;

function readingsOf(e: MeterValuesEvent, whOf: (s: MeterValuesEvent['data']['readings'][number]['samples'][number]) => number | null): MeterReading[] {
  return e.data.readings.flatMap((r) => {
    const extras = { powerW: powerW(r.samples), socPercent: socPercent(r.samples) };
    return r.samples.flatMap((s) => {
      const wh = whOf(s);
      return wh === null ? [] : [{ at: new Date(r.timestamp), registerWh: wh, ...extras }];
    });
  });
}

async function applyMeterValues(
  sessions: SessionService,
  base: { eventId: string; tenantId: string; chargerCode: string },
  e: MeterValuesEvent,
): Promise<FactOutcome | null> {
  const readings = readingsOf(e, registerWh);
  const fact = { ...base, connectorNo: e.data.connectorId, transactionId: e.data.transactionId ?? null };
  if (readings.length) return sessions.onMeterValues({ ...fact, readings });
  const sinceStart = readingsOf(e, sinceStartWh);
  if (!sinceStart.length) return 'ignored';
  return sessions.onMeterValues({ ...fact, readings: sinceStart, basis: 'SINCE_START' });
}

/** The charger event types applyChargerEvent acts on (the others it answers null). */
const ORDERS_EVENT_TYPES: ReadonlySet<string> = new Set<ChargerEvent['type']>([
  'session.started',
  'session.meter_values',
  'session.stopped',
  'transaction.recorded',
  'command.result',
]);

/** The orders side of a charger event, or null when orders has nothing to do with it. */
export async function applyChargerEvent(sessions: SessionService, e: ChargerEvent): Promise<FactOutcome | null> {
  const base = {
    eventId: e.id,
    tenantId: e.tenantId,
    chargerCode: e.chargerId,
    message: { eventId: e.id, type: e.type, protocol: e.source.protocol, occurredAt: new Date(e.occurredAt) },
  };
  switch (e.type) {
    case 'session.started':
      return sessions.onSessionStarted({
        ...base,
        connectorNo: e.data.connectorId,
        transactionId: e.data.transactionId,
        idTag: e.data.idTag ?? null,
        meterStartWh: e.data.meterStartWh ?? null,
        startedAt: new Date(e.data.startedAt),
        userId: e.data.userId ?? null,
        authorization: e.data.authorization ?? null,
      });
    case 'session.meter_values':
      return applyMeterValues(sessions, base, e);
    case 'session.stopped':
      return sessions.onSessionStopped({
        ...base,
        transactionId: e.data.transactionId,
        meterStopWh: e.data.meterStopWh ?? null,
        stoppedAt: new Date(e.data.stoppedAt),
        reason: e.data.reason ?? null,
      });
    case 'transaction.recorded':
      return sessions.onChargerRecord({
        ...base,
        transactionId: e.data.transactionId,
        connectorNo: e.data.connectorId,
        startedAt: new Date(e.data.startedAt),
        endedAt: new Date(e.data.endedAt),
        meterStartWh: kwhToWh(e.data.meterStartKwh),
        meterStopWh: kwhToWh(e.data.meterStopKwh),
        energyWh: kwhToWh(e.data.energyKwh),
        amount: e.data.amount,
        tiers: e.data.tiers,
      });
    case 'command.result':
      if (e.data.command !== 'session.start') return null;
      return sessions.onStartCommandResult({
        ...base,
        commandId: e.data.commandId,
        accepted: e.data.status === 'ACCEPTED',
        reason: e.data.reason ?? e.data.status,
      });
    default:
      return null;
  }
}

/** The consumer's stable name: its group (within the namespace) and the name its dead letters carry. */
export const CHARGER_EVENTS_CONSUMER = 'orders-charger-events';

/**
 * Charger events → orders, a call's worth at a time (one partition, in order). Each run of
 * consecutive events of one tenant is applied in one database transaction that also records
 * every event id (inbox); if anything in a run fails, the run's transaction rolls back and its
 * events are applied again one by one, each in its own transaction. What still fails is thrown:
 * the subscription settles it — a message that can never be applied (not decodable, refused for
 * good) is dead-lettered and the partition moves on; a dependency that is down (pricing, the
 * database) is retried. The dead-letter replay calls this same handler.
 */
export function chargerEventsHandler(sessions: SessionService): MessageHandler {
  return async (messages) => {
    // Most of a charger's traffic (statuses, heartbeats, boots) is not orders' business: skipped
    // by the type the producer puts in a header, unparsed, and a call of nothing else opens no
    // transaction. An event without the header is parsed and judged by applyChargerEvent.
    const ours = messages.filter((m) => {
      const type = m.headers['event-type'];
      return type === undefined || ORDERS_EVENT_TYPES.has(type);
    });
    if (ours.length === 0) return;
    // Decoding throws for an invalid event (INVALID_EVENT): nothing of the call is applied then.
    const events = ours.map((m) => decodeChargerEvent(m.value));
    await applyInTenantRuns<ChargerEvent, FactOutcome | null>(
      events,
      (tenantId, fn) => sessions.inBatch(tenantId, fn),
      (event) => applyChargerEvent(sessions, event),
    );
  };
}

/**
 * The subscription: offsets are committed only after the transactions have committed. A crash
 * anywhere replays from the last commit, and the inbox makes the replay a no-op.
 */
export async function startChargerEventsConsumer(opts: ChargerEventsConsumerOptions): Promise<Subscription> {
  return opts.bus.subscribe({
    groupId: opts.groupId,
    topics: [opts.topic ?? CHARGER_EVENTS_TOPIC],
    fromBeginning: opts.fromBeginning,
    // A charger's events share a partition, and the work is per charger: partitions can go side by side.
    partitionsConcurrently: 6,
    handleBatch: chargerEventsHandler(opts.sessions),
    deadLetters: opts.deadLetters.for(CHARGER_EVENTS_CONSUMER),
    retryBackoff: opts.retryBackoff,
  });
}
