import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { REPO_ROOT } from '@evcs/testkit';
import { SUBGRAPH_PORTS, type Stack, type StackOptions, type SubgraphName } from '../stack';
import { PausingTcpProxy } from './tcp-proxy';

const exec = promisify(execFile);

/** One fault: what the stack needs for it, how it is injected, and what it leaves to clean up. */
export interface Fault {
  name: string;
  stack: Partial<StackOptions>;
  setup?(): Promise<void>;
  /** Inject the fault and undo it the way operations would (restart); resolves once it is undone. */
  inject(stack: Stack, log: (line: string) => void): Promise<void>;
  teardown?(): Promise<void>;
}

/** Seconds a killed process stays down before it is started again (a supervisor's restart delay). */
const DOWN_MS = 3_000;

const crashAndRestart =
  (name: string): Fault['inject'] =>
  async (stack, log) => {
    log(`SIGKILL ${name} (pid ${stack.processes.pid(name)})`);
    await stack.processes.crash(name);
    await sleep(DOWN_MS);
    log(`starting ${name} again`);
    await stack.processes.restart(name, 120_000);
  };

/**
 * The drill's own broker, on other ports and another data directory than the shared one
 * at 127.0.0.1:9092 that every test on the machine uses: killing it harms no one else.
 */
const DRILL_KAFKA = {
  KAFKA_HOME: path.join(REPO_ROOT, '.cache/kafka-drill'),
  KAFKA_PORT: process.env.DRILL_KAFKA_PORT ?? '19092',
  KAFKA_CONTROLLER_PORT: process.env.DRILL_KAFKA_CONTROLLER_PORT ?? '19093',
};
const kafkaSh = (cmd: string) =>
  exec('bash', [path.join(REPO_ROOT, 'ops/kafka/kafka.sh'), cmd], { env: { ...process.env, ...DRILL_KAFKA }, timeout: 600_000, maxBuffer: 10 << 20 });

async function killDrillBroker(log: (line: string) => void): Promise<void> {
  const pid = Number((await readFile(path.join(DRILL_KAFKA.KAFKA_HOME, 'kafka.pid'), 'utf8')).trim());
  log(`SIGKILL the drill's Kafka broker (pid ${pid}, port ${DRILL_KAFKA.KAFKA_PORT})`);
  process.kill(pid, 'SIGKILL');
  for (;;) {
    try {
      process.kill(pid, 0);
      await sleep(100);
    } catch {
      return;
    }
  }
}

function kafkaKill(): Fault {
  return {
    name: 'kafka-kill',
    stack: { kafkaBrokers: [`127.0.0.1:${DRILL_KAFKA.KAFKA_PORT}`] },
    setup: async () => void (await kafkaSh('start')),
    inject: async (_stack, log) => {
      await killDrillBroker(log);
      await sleep(10_000);
      log('starting the broker again (kafka.sh start)');
      await kafkaSh('start');
    },
    teardown: async () => void (await kafkaSh('stop')),
  };
}

/** Every service on the machine loses its connections: run it on a machine you have to yourself. */
function postgresRestart(): Fault {
  return {
    name: 'postgres-restart',
    stack: {},
    inject: async (_stack, log) => {
      log('pg_ctlcluster 15 main restart');
      await exec('pg_ctlcluster', ['--skip-systemctl-redirect', '15', 'main', 'restart'], { timeout: 120_000 });
    },
  };
}

function pgStall(target: SubgraphName, stallMs: number): Fault {
  const proxy = new PausingTcpProxy({ host: '127.0.0.1', port: 5432 });
  let port = 0;
  return {
    name: `pg-stall:${target}`,
    stack: {
      subgraphDatabaseUrl: (name, url) => {
        if (name !== target) return url;
        const u = new URL(url);
        u.port = String(port);
        return u.toString();
      },
    },
    setup: async () => void (port = await proxy.listen()),
    inject: async (_stack, log) => {
      log(`stalling ${target}'s link to Postgres for ${stallMs / 1000} s (proxy on ${port}, ${proxy.accepted} connections through it)`);
      if (proxy.accepted === 0) throw new Error(`${target} never connected through the proxy`);
      await proxy.stall(stallMs);
    },
    teardown: () => proxy.close(),
  };
}

export const SCENARIOS = [
  'kafka-kill',
  'postgres-restart',
  ...Object.keys(SUBGRAPH_PORTS).map((n) => `subgraph-kill:${n}`),
  'router-kill',
  'bridge-kill',
  'pg-stall[:<subgraph>]',
];

export function scenario(name: string): Fault {
  const [kind, arg] = name.split(':');
  switch (kind) {
    case 'kafka-kill':
      return kafkaKill();
    case 'postgres-restart':
      return postgresRestart();
    case 'subgraph-kill':
      if (!(arg in SUBGRAPH_PORTS)) break;
      return { name, stack: {}, inject: crashAndRestart(arg) };
    case 'router-kill':
      // the subscriber and the fleet's API calls move to the second router meanwhile
      return { name, stack: { routers: 2 }, inject: crashAndRestart('router') };
    case 'bridge-kill':
      // chargers reconnect to the second bridge
      return { name, stack: { bridges: 2 }, inject: crashAndRestart('bridge') };
    case 'pg-stall':
      if (arg && !(arg in SUBGRAPH_PORTS)) break;
      return pgStall((arg ?? 'orders') as SubgraphName, Number(process.env.DRILL_STALL_MS ?? 15_000));
  }
  throw new Error(`unknown scenario ${name}; one of: ${SCENARIOS.join(', ')}`);
}
