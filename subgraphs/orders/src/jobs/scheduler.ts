import type { Logger } from '@evcs/platform';
import { dayWindow, yesterday } from '../domain/day-window';
import type { ReconciliationService } from '../domain/reconciliation';
import type { SessionService } from '../domain/session-service';
import type { PgJobsStore } from '../persistence/jobs-store';

export interface SchedulerOptions {
  jobs: Pick<PgJobsStore, 'stalePendingStarts' | 'tenantsActiveBetween'>;
  logger: Logger;
  sessions: SessionService;
  recon: ReconciliationService;
  /** whose midnight ends a business day */
  timezone: string;
  now?: () => Date;
}

/**
 * One run of the orders service's periodic work (a job of its runSubgraphMain), safe with many instances:
 *  - remote starts never confirmed by the charger fail (conditional updates);
 *  - yesterday is reconciled for every tenant with activity, once (a run per
 *    tenant and day is unique; a completed one is left alone, a crashed one is
 *    resumed from its checkpoint by whichever instance comes next).
 * Stops between tenants once `signal` aborts (a drain).
 */
export async function runScheduledWork(opts: SchedulerOptions, signal?: AbortSignal): Promise<void> {
  const now = opts.now ?? (() => new Date());
  const expired = await opts.sessions.expirePendingStarts((before) => opts.jobs.stalePendingStarts(before));
  if (expired) opts.logger.info({ expired }, 'remote starts timed out');
  const date = yesterday(now(), opts.timezone);
  const w = dayWindow(date, opts.timezone);
  for (const tenant_id of await opts.jobs.tenantsActiveBetween(w.from, w.to)) {
    if (signal?.aborted) return;
    const run = await opts.recon.run(tenant_id, date, opts.timezone);
    if (run !== 'busy' && run.finishedAt && Date.now() - run.finishedAt.getTime() < 60_000) {
      opts.logger.info({ tenantId: tenant_id, date, processed: run.processed, discrepancies: run.discrepancies }, 'reconciled');
    }
  }
}
