import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@evcs/platform';
import { UnexpectedHttpResponse } from 'ocpp-rpc';
import type { ChargePointStatus } from '../ocpp/messages';
import { SimulatedChargePoint } from './charge-point';
import { SimulatedYkcPile } from './ykc-pile';

export { SimulatedChargePoint } from './charge-point';
export type { SimulatedChargePointOptions } from './charge-point';
export { SimulatedYkcPile, simulatedPileIdentity } from './ykc-pile';
export type { SimulatedPileIdentity, SimulatedYkcPileOptions } from './ykc-pile';

export interface RunSimulatorsOptions {
  /** e.g. ws://127.0.0.1:4100/ocpp */
  url: string;
  /** OCPP chargers (may be 0). */
  count: number;
  /** Charger ids are `<prefix><n padded to 4>`, e.g. DEMO-CP-0001. */
  prefix: string;
  /** The Basic-auth password of each OCPP charger (as registered: see simulator/register.ts); none: connect without one. */
  password?: (chargerId: string) => string | undefined;
  /** Number of the first charger (default 1). */
  startIndex?: number;
  /** Connectors per charger (default 2). */
  connectors?: number;
  /** Pause between a charger's steps, and between meter values while charging (default 5000, jittered ±20%). */
  intervalMs?: number;
  /** Meter values sent per session before it stops (default 6). */
  meterValuesPerSession?: number;
  /** Spread the first connections over this long (default: 5 ms per charger, at most intervalMs). */
  rampMs?: number;
  /**
   * OCPP chargers begin sessions of their own on idle connectors (default true). Either way they
   * follow the platform's RemoteStartTransaction (a session with its id tag on that connector) and
   * RemoteStopTransaction (the session stops at the next tick).
   */
  scriptedSessions?: boolean;
  /** YKC piles over TCP. Pile numbers are `pilePrefix` followed by the index, 14 digits in all. */
  ykc?: { host: string; port: number; count: number; pilePrefix?: string; startIndex?: number };
  logger?: Logger;
}

export interface SimulatorStats {
  chargers: number;
  connected: number;
  booted: number;
  statusNotifications: number;
  sessionsStarted: number;
  sessionsStopped: number;
  meterValues: number;
  ykcPiles: number;
  ykcLoggedIn: number;
  ykcRecordsConfirmed: number;
  errors: number;
  /** Chargers the bridge refused for good (unknown, wrong credential, identity): they stopped, with one log line each. */
  refused: number;
}

export interface SimulatorFleet {
  chargePoints: SimulatedChargePoint[];
  piles: SimulatedYkcPile[];
  stats(): SimulatorStats;
  /** Stop every charger and close its connection. */
  stop(): Promise<void>;
}

export function chargePointId(prefix: string, n: number): string {
  return `${prefix}${String(n).padStart(4, '0')}`;
}

export function ykcPileNo(prefix: string, n: number): string {
  return `${prefix}${String(n).padStart(14 - prefix.length, '0')}`;
}

const REFUSALS: Record<number, string> = { 401: 'wrong or missing password', 403: 'not allowed from this network, or needs TLS', 404: 'not registered' };

interface ConnectorState {
  status: ChargePointStatus;
  transactionId?: number;
  meterWh: number;
  samples: number;
  /** the id tag of a RemoteStartTransaction accepted for this connector, until its session starts */
  remoteIdTag?: string;
  /** the session running was started by the platform (it runs until the platform stops it) */
  remoteSession?: boolean;
  /** a RemoteStopTransaction arrived for its session */
  remoteStop?: boolean;
}

/**
 * Runs simulated chargers against the bridge until stop(). OCPP chargers
 * connect, boot, report every connector Available, then each tick move one
 * connector through a realistic session: Preparing → StartTransaction and
 * Charging → MeterValues every tick → StopTransaction and Finishing →
 * Available; a RemoteStartTransaction the platform sends starts a session with its id tag on its
 * connector (charging until a RemoteStopTransaction stops it). YKC piles log in, beat, and run sessions with real-time data
 * each tick and a transaction record (resent until confirmed) at the end.
 * A charger that loses its connection reconnects. Resolves once every charger
 * made its first attempt to come online.
 */
export async function runSimulators(opts: RunSimulatorsOptions): Promise<SimulatorFleet> {
  const connectors = opts.connectors ?? 2;
  const intervalMs = opts.intervalMs ?? 5000;
  const perSession = opts.meterValuesPerSession ?? 6;
  const scripted = opts.scriptedSessions ?? true;
  const startIndex = opts.startIndex ?? 1;
  const ykcCount = opts.ykc?.count ?? 0;
  const total = opts.count + ykcCount;
  const rampMs = opts.rampMs ?? Math.min(total * 5, intervalMs);
  const stopping = new AbortController();
  const { signal } = stopping;
  const counters = {
    booted: 0,
    statusNotifications: 0,
    sessionsStarted: 0,
    sessionsStopped: 0,
    meterValues: 0,
    ykcLoggedIn: 0,
    ykcRecordsConfirmed: 0,
    errors: 0,
    refused: 0,
  };
  const log = opts.logger;
  const jitter = (ms: number) => Math.round(ms * (0.8 + Math.random() * 0.4));

  const chargePoints = Array.from({ length: opts.count }, (_, i) => {
    const id = chargePointId(opts.prefix, startIndex + i);
    return new SimulatedChargePoint({ url: opts.url, id, password: opts.password?.(id) });
  });
  const piles = opts.ykc
    ? Array.from(
        { length: ykcCount },
        (_, i) =>
          new SimulatedYkcPile({
            host: opts.ykc!.host,
            port: opts.ykc!.port,
            pileNo: ykcPileNo(opts.ykc!.pilePrefix ?? '3201', (opts.ykc!.startIndex ?? 1) + i),
            guns: connectors,
          }),
      )
    : [];

  async function step(cp: SimulatedChargePoint, c: number, s: ConnectorState): Promise<void> {
    const status = async (next: ChargePointStatus) => {
      await cp.status(c, next);
      counters.statusNotifications++;
      s.status = next;
    };
    switch (s.status) {
      case 'Available':
        return status('Preparing');
      case 'Preparing': {
        const conf = await cp.startTransaction(c, s.remoteIdTag ?? `SIM-TAG-${c}`, s.meterWh);
        counters.sessionsStarted++;
        s.transactionId = conf.transactionId;
        s.remoteSession = s.remoteIdTag !== undefined;
        s.remoteIdTag = undefined;
        s.samples = 0;
        return status('Charging');
      }
      case 'Charging':
        if (s.remoteStop) {
          await cp.stopTransaction(s.transactionId!, s.meterWh, { reason: 'Remote' });
          counters.sessionsStopped++;
          s.transactionId = undefined;
          s.remoteStop = false;
          s.remoteSession = false;
          return status('Finishing');
        }
        // A session the platform started charges until the platform stops it, as the YKC piles do.
        if (s.remoteSession || s.samples < perSession) {
          s.meterWh += 500 + Math.floor(Math.random() * 500);
          await cp.meterValues(c, s.transactionId, s.meterWh);
          counters.meterValues++;
          s.samples++;
          return;
        }
        await cp.stopTransaction(s.transactionId!, s.meterWh, { reason: 'EVDisconnected' });
        counters.sessionsStopped++;
        s.transactionId = undefined;
        return status('Finishing');
      default:
        return status('Available');
    }
  }

  async function bootOcpp(cp: SimulatedChargePoint): Promise<void> {
    const conf = await cp.boot();
    if (conf.status !== 'Accepted') throw new Error(`boot ${conf.status}`);
  }

  // After boot a charger reports every connector, 0 being the charger itself.
  async function reportConnectors(cp: SimulatedChargePoint, state: Map<number, ConnectorState>): Promise<void> {
    for (let c = 0; c <= connectors; c++) {
      await cp.status(c, 'Available');
      counters.statusNotifications++;
      if (c > 0 && !state.has(c)) state.set(c, { status: 'Available', meterWh: 0, samples: 0 });
    }
  }

  // What the platform asked since the last tick (the charger answered already: Accepted, unless reserved for another tag).
  function takeRemoteCommands(cp: SimulatedChargePoint, state: Map<number, ConnectorState>, seen: { n: number }): void {
    for (; seen.n < cp.commandsReceived.length; seen.n++) {
      const { action, params } = cp.commandsReceived[seen.n];
      if (action === 'RemoteStartTransaction') {
        const idTag = String(params.idTag);
        const wanted = params.connectorId === undefined ? undefined : Number(params.connectorId);
        const target = [...state].find(([c, s]) => (wanted === undefined || c === wanted) && s.status === 'Available' && s.remoteIdTag === undefined);
        if (target && cp.mayStart(target[0], idTag)) target[1].remoteIdTag = idTag;
      } else if (action === 'RemoteStopTransaction') {
        for (const s of state.values()) if (s.transactionId !== undefined && s.transactionId === Number(params.transactionId)) s.remoteStop = true;
      }
    }
  }

  // Sessions in progress move every tick, and connectors the platform started; otherwise one idle connector may begin one.
  async function ocppTick(cp: SimulatedChargePoint, state: Map<number, ConnectorState>, seen: { n: number }): Promise<void> {
    takeRemoteCommands(cp, state, seen);
    const busy = [...state].filter(([, s]) => s.status !== 'Available' || s.remoteIdTag !== undefined);
    const idle = [...state].filter(([, s]) => s.status === 'Available' && s.remoteIdTag === undefined);
    const next = busy.length > 0 || !scripted ? busy : idle.slice(Math.floor(Math.random() * idle.length)).slice(0, 1);
    for (const [c, s] of next) await step(cp, c, s);
  }

  /** Whether the bridge refused the charger for good, logged and counted if so. */
  function refusedForGood(cp: SimulatedChargePoint, err: unknown): boolean {
    // Unknown (404), wrong or missing credential (401), not allowed from here or not over TLS (403): retrying changes nothing.
    if (!(err instanceof UnexpectedHttpResponse) || ![401, 403, 404].includes(err.code)) return false;
    counters.refused++;
    log?.error(
      { chargerId: cp.id, status: err.code },
      `simulated charger ${cp.id} refused by the bridge (HTTP ${err.code}: ${REFUSALS[err.code]}); stopping it`,
    );
    return true;
  }

  const reasonOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

  async function ocppLifecycle(cp: SimulatedChargePoint, index: number, firstAttempt: () => void): Promise<void> {
    const state = new Map<number, ConnectorState>();
    const seen = { n: cp.commandsReceived.length };
    let booted = false;
    await sleep(total > 1 ? Math.round((rampMs * index) / total) : 0, undefined, { signal });
    while (!signal.aborted) {
      try {
        if (!cp.isOpen) {
          if (booted) counters.booted--;
          booted = false;
          await cp.connect();
        }
        if (!booted) {
          await bootOcpp(cp);
          booted = true;
          counters.booted++;
          firstAttempt();
          await reportConnectors(cp, state);
        }
        await sleep(jitter(intervalMs), undefined, { signal });
        await ocppTick(cp, state, seen);
      } catch (err) {
        if (signal.aborted) break;
        firstAttempt();
        if (refusedForGood(cp, err)) return;
        counters.errors++;
        log?.warn({ chargerId: cp.id, reason: reasonOf(err) }, 'simulated charger: call failed; retrying');
        await sleep(jitter(intervalMs), undefined, { signal }).catch(() => undefined);
      }
    }
  }

  async function afterYkcLogin(pile: SimulatedYkcPile): Promise<void> {
    // Bill with the platform's model when it has one (0x05 → 0x06, then 0x09 → 0x0A); unanswered, keep our own.
    await pile.syncBillingModel().catch(() => undefined);
    for (const record of pile.unconfirmed.values()) {
      await pile.sendRecord(record);
      counters.ykcRecordsConfirmed++;
    }
  }

  function maybeStartYkcSession(pile: SimulatedYkcPile, sessions: Map<number, number>, nextCounter: () => number): void {
    const gun = 1 + Math.floor(Math.random() * connectors);
    if (sessions.has(gun) || sessions.size !== 0 || pile.isCharging(gun)) return;
    const local = new Date(Date.now() + 8 * 3600_000).toISOString();
    const stamp = local.slice(2, 19).replace(/[-T:]/g, '');
    pile.startSession(gun, `${pile.pileNo}${String(gun).padStart(2, '0')}${stamp}${String(nextCounter()).padStart(4, '0')}`);
    sessions.set(gun, 0);
    counters.sessionsStarted++;
  }

  function chargeAndReport(pile: SimulatedYkcPile, gun: number): void {
    pile.charge(gun, 10 * (100 + Math.floor(Math.random() * 200)));
    pile.reportRealTime(gun);
    counters.meterValues++;
  }

  async function advanceYkcSessions(pile: SimulatedYkcPile, sessions: Map<number, number>): Promise<void> {
    // Sessions the platform started (0x34) charge until the platform stops them (0x36).
    for (let g = 1; g <= connectors; g++) if (pile.isRemoteSession(g)) chargeAndReport(pile, g);
    for (const [g, n] of sessions) {
      chargeAndReport(pile, g);
      if (n + 1 < perSession) {
        sessions.set(g, n + 1);
        continue;
      }
      sessions.delete(g);
      const record = pile.stopSession(g);
      pile.reportRealTime(g);
      if (record) {
        counters.sessionsStopped++;
        await pile.sendRecord(record);
        counters.ykcRecordsConfirmed++;
      }
    }
  }

  async function ykcLifecycle(pile: SimulatedYkcPile, index: number, firstAttempt: () => void): Promise<void> {
    let loggedIn = false;
    let counter = 0;
    const nextCounter = () => (counter = (counter + 1) % 10_000);
    const sessions = new Map<number, number>();
    await sleep(total > 1 ? Math.round((rampMs * (opts.count + index)) / total) : 0, undefined, { signal });
    while (!signal.aborted) {
      try {
        if (!pile.isOpen) {
          if (loggedIn) counters.ykcLoggedIn--;
          loggedIn = false;
          await pile.connect();
        }
        if (!loggedIn) {
          if (!(await pile.login())) {
            firstAttempt();
            counters.refused++;
            log?.error(
              { chargerId: pile.pileNo },
              `simulated YKC pile ${pile.pileNo} refused at login (unknown pile, or its login identity or network is not the registered one); stopping it`,
            );
            pile.destroy();
            return;
          }
          loggedIn = true;
          counters.ykcLoggedIn++;
          firstAttempt();
          await afterYkcLogin(pile);
        }
        await sleep(jitter(intervalMs), undefined, { signal });
        for (let g = 1; g <= connectors; g++) await pile.heartbeat(g);
        maybeStartYkcSession(pile, sessions, nextCounter);
        await advanceYkcSessions(pile, sessions);
      } catch (err) {
        if (signal.aborted) break;
        firstAttempt();
        counters.errors++;
        log?.warn({ chargerId: pile.pileNo, reason: reasonOf(err) }, 'simulated YKC pile: failed; retrying');
        pile.destroy();
        await sleep(jitter(intervalMs), undefined, { signal }).catch(() => undefined);
      }
    }
  }

  const started: Promise<void>[] = [];
  const run = <T>(items: T[], lifecycle: (x: T, i: number, first: () => void) => Promise<void>, name: (x: T) => string) =>
    items.map((x, i) => {
      let markStarted!: () => void;
      started.push(new Promise<void>((resolve) => (markStarted = resolve)));
      return lifecycle(x, i, markStarted).catch((err: unknown) => {
        markStarted();
        if (!signal.aborted) log?.error({ err, chargerId: name(x) }, 'simulated charger stopped');
      });
    });
  const running = [...run(chargePoints, ocppLifecycle, (cp) => cp.id), ...run(piles, ykcLifecycle, (p) => p.pileNo)];
  await Promise.race([Promise.all(started), new Promise((resolve) => signal.addEventListener('abort', resolve))]);

  return {
    chargePoints,
    piles,
    stats: () => ({
      chargers: chargePoints.length,
      connected: chargePoints.filter((cp) => cp.isOpen).length,
      booted: counters.booted,
      statusNotifications: counters.statusNotifications,
      sessionsStarted: counters.sessionsStarted,
      sessionsStopped: counters.sessionsStopped,
      meterValues: counters.meterValues,
      ykcPiles: piles.length,
      ykcLoggedIn: counters.ykcLoggedIn,
      ykcRecordsConfirmed: counters.ykcRecordsConfirmed,
      errors: counters.errors,
      refused: counters.refused,
    }),
    async stop() {
      stopping.abort();
      await Promise.allSettled([...chargePoints.map((cp) => cp.close()), ...piles.map((p) => p.close())]);
      await Promise.allSettled(running);
    },
  };
}
