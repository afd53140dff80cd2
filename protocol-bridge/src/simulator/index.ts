import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@evcs/platform';
import type { ChargePointStatus } from '../ocpp/messages';
import { SimulatedChargePoint } from './charge-point';

export { SimulatedChargePoint } from './charge-point';
export type { SimulatedChargePointOptions } from './charge-point';

export interface RunSimulatorsOptions {
  /** e.g. ws://127.0.0.1:4100/ocpp */
  url: string;
  count: number;
  /** Charger ids are `<prefix><n padded to 4>`, e.g. DEMO-CP-0001. */
  prefix: string;
  /** Number of the first charger (default 1). */
  startIndex?: number;
  /** Connectors per charger (default 2). */
  connectors?: number;
  /** Pause between a charger's status changes (default 5000, jittered ±20%). */
  intervalMs?: number;
  /** Spread the first connections over this long (default: 5 ms per charger, at most intervalMs). */
  rampMs?: number;
  logger?: Logger;
}

export interface SimulatorStats {
  chargers: number;
  connected: number;
  booted: number;
  statusNotifications: number;
  errors: number;
}

export interface SimulatorFleet {
  chargePoints: SimulatedChargePoint[];
  stats(): SimulatorStats;
  /** Stop every charger and close its connection. */
  stop(): Promise<void>;
}

export function chargePointId(prefix: string, n: number): string {
  return `${prefix}${String(n).padStart(4, '0')}`;
}

/** The cycle a simulated connector goes through, one step per tick: a full charging session. */
const NEXT_STATUS: Record<ChargePointStatus, ChargePointStatus> = {
  Available: 'Preparing',
  Preparing: 'Charging',
  Charging: 'Finishing',
  Finishing: 'Available',
  SuspendedEV: 'Charging',
  SuspendedEVSE: 'Charging',
  Reserved: 'Preparing',
  Unavailable: 'Available',
  Faulted: 'Available',
};

/**
 * Runs `count` simulated chargers against a central system until stop():
 * each connects, boots, reports every connector Available, then moves one
 * connector a step through Available → Preparing → Charging → Finishing →
 * Available per tick. A charger that loses its connection reconnects and boots
 * again. Resolves once every charger made its first attempt to come online.
 */
export async function runSimulators(opts: RunSimulatorsOptions): Promise<SimulatorFleet> {
  const connectors = opts.connectors ?? 2;
  const intervalMs = opts.intervalMs ?? 5000;
  const startIndex = opts.startIndex ?? 1;
  const rampMs = opts.rampMs ?? Math.min(opts.count * 5, intervalMs);
  const stopping = new AbortController();
  const { signal } = stopping;
  const counters = { booted: 0, statusNotifications: 0, errors: 0 };
  const log = opts.logger;

  const chargePoints = Array.from({ length: opts.count }, (_, i) => new SimulatedChargePoint({ url: opts.url, id: chargePointId(opts.prefix, startIndex + i) }));

  const jitter = (ms: number) => Math.round(ms * (0.8 + Math.random() * 0.4));

  async function lifecycle(cp: SimulatedChargePoint, index: number, firstAttempt: () => void): Promise<void> {
    const status = new Map<number, ChargePointStatus>();
    let booted = false;
    await sleep(opts.count > 1 ? Math.round((rampMs * index) / opts.count) : 0, undefined, { signal });
    while (!signal.aborted) {
      try {
        if (!cp.isOpen) {
          if (booted) counters.booted--;
          booted = false;
          await cp.connect();
        }
        if (!booted) {
          const conf = await cp.boot();
          if (conf.status !== 'Accepted') throw new Error(`boot ${conf.status}`);
          booted = true;
          counters.booted++;
          firstAttempt();
          // After boot a charger reports every connector, 0 being the charger itself.
          for (let c = 0; c <= connectors; c++) {
            await cp.status(c, 'Available');
            counters.statusNotifications++;
            status.set(c, 'Available');
          }
        }
        await sleep(jitter(intervalMs), undefined, { signal });
        const c = 1 + Math.floor(Math.random() * connectors);
        const next = NEXT_STATUS[status.get(c) ?? 'Available'];
        await cp.status(c, next);
        counters.statusNotifications++;
        status.set(c, next);
      } catch (err) {
        if (signal.aborted) break;
        firstAttempt();
        counters.errors++;
        log?.warn({ chargerId: cp.id, reason: err instanceof Error ? err.message : String(err) }, 'simulated charger: call failed; retrying');
        await sleep(jitter(intervalMs), undefined, { signal }).catch(() => undefined);
      }
    }
  }

  const started: Promise<void>[] = [];
  const running = chargePoints.map((cp, i) => {
    let markStarted!: () => void;
    started.push(new Promise<void>((resolve) => (markStarted = resolve)));
    return lifecycle(cp, i, markStarted).catch((err: unknown) => {
      markStarted();
      if (!signal.aborted) log?.error({ err, chargerId: cp.id }, 'simulated charger stopped');
    });
  });
  await Promise.race([Promise.all(started), new Promise((resolve) => signal.addEventListener('abort', resolve))]);

  return {
    chargePoints,
    stats: () => ({
      chargers: chargePoints.length,
      connected: chargePoints.filter((cp) => cp.isOpen).length,
      booted: counters.booted,
      statusNotifications: counters.statusNotifications,
      errors: counters.errors,
    }),
    async stop() {
      stopping.abort();
      await Promise.allSettled(chargePoints.map((cp) => cp.close()));
      await Promise.allSettled(running);
    },
  };
}
