import { createLogger, startIntervalJob } from '../src';

const logger = createLogger('jobs-test', { level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('startIntervalJob', () => {
  it('runs the job every interval, never two runs at once, and runs no more once stopped', async () => {
    let runs = 0;
    let inFlight = 0;
    let overlapped = false;
    const job = startIntervalJob(
      {
        name: 'tick',
        everyMs: 10,
        firstAfterMs: 0,
        run: async () => {
          inFlight++;
          if (inFlight > 1) overlapped = true;
          runs++;
          await sleep(15); // longer than the interval
          inFlight--;
        },
      },
      logger,
    );
    await sleep(150);
    expect(runs).toBeGreaterThanOrEqual(3);
    expect(overlapped).toBe(false);
    await job.stop();
    const atStop = runs;
    expect(inFlight).toBe(0); // stop waited for the run in progress
    await sleep(60);
    expect(runs).toBe(atStop);
  });

  it('aborts the signal of a run in progress on stop', async () => {
    let seen: AbortSignal | undefined;
    const job = startIntervalJob(
      {
        name: 'long',
        everyMs: 10,
        firstAfterMs: 0,
        run: (signal) => {
          seen = signal;
          return new Promise((resolve) => signal.addEventListener('abort', resolve));
        },
      },
      logger,
    );
    await sleep(30);
    expect(seen?.aborted).toBe(false);
    await job.stop();
    expect(seen?.aborted).toBe(true);
  });

  it('keeps running after a failure, waiting longer after each failure in a row, and logs each', async () => {
    const at: number[] = [];
    const errors: unknown[] = [];
    const log = createLogger('jobs-test', { level: 'error' });
    log.error = ((obj: unknown) => void errors.push(obj)) as typeof log.error;
    const job = startIntervalJob(
      {
        name: 'failing',
        everyMs: 25,
        firstAfterMs: 0,
        maxBackoffMs: 1_000,
        run: async () => {
          at.push(Date.now());
          throw new Error('dependency down');
        },
      },
      log,
    );
    await sleep(400); // runs at ~0, 50, 150, 350 (pauses 50, 100, 200)
    await job.stop();
    expect(at.length).toBeGreaterThanOrEqual(3);
    expect(at.length).toBeLessThanOrEqual(5);
    const gaps = at.slice(1).map((t, i) => t - at[i]);
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]).toBeGreaterThan(gaps[i - 1]);
    expect(errors.length).toBe(at.length);
    expect(errors[0]).toMatchObject({ job: 'failing', failures: 1 });
  });
});
