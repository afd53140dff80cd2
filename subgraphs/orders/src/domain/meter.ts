/**
 * Meter readings as the pricing sees them: the charger's energy register (Wh)
 * at an instant. Chargers send garbage now and then; what can't be trusted is
 * flagged and left out, never silently billed.
 */
export interface MeterReading {
  at: Date;
  registerWh: number;
  /** active import power at that instant, W, when the charger reported it (OCPP Power.Active.Import) */
  powerW?: number | null;
  /** the vehicle's state of charge at that instant, %, when reported (OCPP SoC, YKC 0x13) */
  socPercent?: number | null;
}

export type ReadingProblem = 'BEFORE_START' | 'IN_FUTURE' | 'BACKWARDS' | 'AFTER_STOP';

export interface ReadingVerdict {
  reading: MeterReading;
  problem: ReadingProblem | null;
}

/** Tolerance for a charger's clock running ahead of ours. */
export const FUTURE_TOLERANCE_MS = 5 * 60_000;

/**
 * Check new readings against what is known: a session start, the readings kept
 * so far, an optional stop, and now. Readings are judged in time order; a
 * register that goes down compared to the latest accepted reading before it is
 * BACKWARDS.
 */
export function judgeReadings(
  incoming: readonly MeterReading[],
  ctx: { startedAt: Date; meterStartWh: number | null; stoppedAt: Date | null; accepted: readonly MeterReading[]; now: Date },
): ReadingVerdict[] {
  const accepted = [...ctx.accepted].sort((a, b) => a.at.getTime() - b.at.getTime());
  const out: ReadingVerdict[] = [];
  for (const r of [...incoming].sort((a, b) => a.at.getTime() - b.at.getTime())) {
    let problem: ReadingProblem | null = null;
    if (!Number.isSafeInteger(r.registerWh) || r.registerWh < 0) problem = 'BACKWARDS';
    else if (r.at.getTime() < ctx.startedAt.getTime()) problem = 'BEFORE_START';
    else if (r.at.getTime() > ctx.now.getTime() + FUTURE_TOLERANCE_MS) problem = 'IN_FUTURE';
    else if (ctx.stoppedAt && r.at.getTime() > ctx.stoppedAt.getTime()) problem = 'AFTER_STOP';
    else {
      const before = accepted.filter((a) => a.at.getTime() <= r.at.getTime()).at(-1);
      const after = accepted.find((a) => a.at.getTime() > r.at.getTime());
      const floor = before?.registerWh ?? ctx.meterStartWh ?? 0;
      if (r.registerWh < floor || (after && r.registerWh > after.registerWh)) problem = 'BACKWARDS';
    }
    out.push({ reading: r, problem });
    if (!problem) {
      accepted.push(r);
      accepted.sort((a, b) => a.at.getTime() - b.at.getTime());
    }
  }
  return out;
}
