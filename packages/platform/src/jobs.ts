import type { Logger } from './logger';

export interface IntervalJobOptions {
  name: string;
  /** pause between the end of one run and the start of the next */
  everyMs: number;
  /** pause before the first run (default everyMs) */
  firstAfterMs?: number;
  /** longest pause while runs keep failing (default the larger of everyMs and five minutes) */
  maxBackoffMs?: number;
  /** one run; `signal` aborts when the job is stopped, so a long run can end early */
  run(signal: AbortSignal): Promise<unknown>;
}

export interface IntervalJob {
  /** Stops scheduling and waits for a run in progress. */
  stop(): Promise<void>;
}

/**
 * A periodic job that never overlaps itself: the next run is scheduled when one ends, so a
 * slow run delays the next instead of piling up beside it. A failed run is logged and the
 * pause doubles with each failure in a row (up to maxBackoffMs) — a broken dependency is
 * not hammered, nor the log flooded, at the job's own rate.
 */
export function startIntervalJob(opts: IntervalJobOptions, logger: Logger): IntervalJob {
  let stopped = false;
  // one per run: a run's listeners go with it
  let runAbort: AbortController | undefined;
  const maxBackoff = opts.maxBackoffMs ?? Math.max(opts.everyMs, 300_000);
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> | undefined;
  let failures = 0;

  const schedule = (ms: number) => {
    timer = setTimeout(tick, ms);
    timer.unref();
  };
  function tick(): void {
    timer = undefined;
    if (stopped) return;
    const abort = (runAbort = new AbortController());
    current = Promise.resolve()
      .then(() => opts.run(abort.signal))
      .then(() => {
        failures = 0;
      })
      .catch((e: unknown) => {
        failures++;
        logger.error({ err: e, job: opts.name, failures }, 'job run failed; will retry');
      })
      .finally(() => {
        current = undefined;
        runAbort = undefined;
        if (!stopped) schedule(failures ? Math.min(opts.everyMs * 2 ** failures, maxBackoff) : opts.everyMs);
      });
  }
  schedule(opts.firstAfterMs ?? opts.everyMs);

  return {
    stop: async () => {
      stopped = true;
      runAbort?.abort();
      if (timer) clearTimeout(timer);
      await current;
    },
  };
}
