import { CHARGER_EVENTS_TOPIC, ChargerEvent, decodeChargerEvent } from '@evcs/events';
import { applyInTenantRuns, isAppError, type EventBus, type Logger, type Subscription } from '@evcs/platform';
import type { MeterReading } from '../domain/meter';
import type { FactOutcome, SessionService } from '../domain/session-service';

export interface ChargerEventsConsumerOptions {
  bus: EventBus;
  sessions: SessionService;
  logger: Logger;
  topic?: string;
  groupId: string;
  fromBeginning?: boolean;
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

type MeterValuesEvent = Extract<ChargerEvent, { type: 'session.meter_values' }>;

function readingsOf(e: MeterValuesEvent, whOf: (s: MeterValuesEvent['data']['readings'][number]['samples'][number]) => number | null): MeterReading[] {
  return e.data.readings.flatMap((r) =>
    r.samples.flatMap((s) => {
      const wh = whOf(s);
      return wh === null ? [] : [{ at: new Date(r.timestamp), registerWh: wh }];
    }),
  );
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

/** The orders side of a charger event, or null when orders has nothing to do with it. */
export async function applyChargerEvent(sessions: SessionService, e: ChargerEvent): Promise<FactOutcome | null> {
  const base = { eventId: e.id, tenantId: e.tenantId, chargerCode: e.chargerId };
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

/**
 * Charger events → orders. Messages of a partition are applied in order; each
 * run of consecutive events of one tenant is applied in one database transaction
 * that also records every event id (inbox); offsets are committed only after the
 * transactions have committed. A crash anywhere replays from the last commit, and
 * the inbox makes the replay a no-op. If anything in a run fails, the run's
 * transaction rolls back and its events are applied again one by one, each in its
 * own transaction: a dependency that is down (pricing) fails the call, which is
 * retried; an event that can never be applied is logged with its id and skipped.
 */
export async function startChargerEventsConsumer(opts: ChargerEventsConsumerOptions): Promise<Subscription> {
  const stats: Record<string, number> = {};
  /** Alone, in its own transaction: an event that can never be applied is skipped ('failed'). */
  const applyAlone = async (event: ChargerEvent): Promise<FactOutcome | 'failed' | null> => {
    try {
      return await applyChargerEvent(opts.sessions, event);
    } catch (e) {
      if (isAppError(e) && !e.retriable) {
        opts.logger.error({ err: e, eventId: event.id, type: event.type, chargerId: event.chargerId }, 'charger event cannot be applied; skipped');
        return 'failed';
      }
      throw e; // retriable or unexpected: the call is retried from its last committed offset
    }
  };
  return opts.bus.subscribe({
    groupId: opts.groupId,
    topics: [opts.topic ?? CHARGER_EVENTS_TOPIC],
    fromBeginning: opts.fromBeginning,
    // A charger's events share a partition, and the work is per charger: partitions can go side by side.
    partitionsConcurrently: 6,
    handleBatch: async (messages) => {
      const events: ChargerEvent[] = [];
      for (const m of messages) {
        try {
          events.push(decodeChargerEvent(m.value));
        } catch (e) {
          stats.invalid = (stats.invalid ?? 0) + 1;
          opts.logger.warn({ err: e, partition: m.partition, offset: m.offset }, 'skipping an invalid charger event');
        }
      }
      const outcomes = await applyInTenantRuns<ChargerEvent, FactOutcome | 'failed' | null>(
        events,
        (tenantId, fn) => opts.sessions.inBatch(tenantId, fn),
        (event) => applyChargerEvent(opts.sessions, event),
        applyAlone,
      );
      for (const o of outcomes) if (o) stats[o] = (stats[o] ?? 0) + 1;
    },
  });
}
