import { execFile } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { createKnex, dropDatabase, ensureDatabase, migrateSchemas, SubgraphMigrations, withDatabase, DEFAULT_ROLES } from '@evcs/platform';

const exec = promisify(execFile);

// from packages/testkit/dist/src
export const REPO_ROOT = path.resolve(__dirname, '../../../..');
export const PG_SUPERUSER_URL = process.env.PG_SUPERUSER_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const KAFKA_BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');

/** A name no other test run uses: for databases, topics, consumer groups, tenants' codes. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`.toLowerCase();
}

function portOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.setTimeout(1000);
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
    s.once('timeout', () => (s.destroy(), resolve(false)));
  });
}

/** Start the project's Kafka broker (ops/kafka/kafka.sh) unless one already answers. */
export async function ensureKafka(): Promise<string[]> {
  const [host, port] = KAFKA_BROKERS[0].split(':');
  if (await portOpen(host, Number(port))) return KAFKA_BROKERS;
  await exec('bash', [path.join(REPO_ROOT, 'ops/kafka/kafka.sh'), 'start'], { timeout: 600_000, maxBuffer: 10 * 1024 * 1024 });
  return KAFKA_BROKERS;
}

export interface TestDatabase {
  name: string;
  /** URL for the application role (RLS applies) */
  appUrl: string;
  /** URL for the owner role (migrations, fixtures) */
  ownerUrl: string;
  drop(): Promise<void>;
}

/** A fresh database of its own, with the given subgraphs' schemas migrated. */
export async function createTestDatabase(subgraphs: SubgraphMigrations[]): Promise<TestDatabase> {
  const name = uniqueName('evcs_t');
  await ensureDatabase(PG_SUPERUSER_URL, name);
  const ownerUrl = withDatabase(PG_SUPERUSER_URL, name, DEFAULT_ROLES.owner);
  const appUrl = withDatabase(PG_SUPERUSER_URL, name, DEFAULT_ROLES.app);
  await migrateSchemas(ownerUrl, subgraphs);
  return { name, appUrl, ownerUrl, drop: () => dropDatabase(PG_SUPERUSER_URL, name) };
}

/**
 * Makes every insert into `table` (`schema.table`) for `tenantId` fail, as the owner: a test's way to
 * make one step of a transaction fail and watch the rest of it roll back (a change and its audit entry).
 */
export async function failInsertsFor(db: TestDatabase, table: string, tenantId: string): Promise<void> {
  if (!/^[a-z_]+\.[a-z_]+$/.test(table) || !/^[0-9a-f-]{36}$/.test(tenantId)) throw new Error('failInsertsFor: a schema.table and a tenant id');
  const [schema] = table.split('.');
  const fn = `${schema}.test_fail_${randomBytes(4).toString('hex')}`;
  const owner = createKnex({ connectionString: db.ownerUrl, schema, pool: { max: 1 } });
  try {
    await owner.raw(`create function ${fn}() returns trigger language plpgsql as $$
      begin
        if new.tenant_id = '${tenantId}' then raise exception 'test: inserts into ${table} fail for this tenant'; end if;
        return new;
      end $$;
      create trigger ${fn.split('.')[1]} before insert on ${table} for each row execute function ${fn}();`);
  } finally {
    await owner.destroy();
  }
}

/** A `<service>AuditLog(filter, first, after)` query selecting every field. */
export const auditLogQuery = (field: string): string => `query($filter: AuditFilter, $first: Int, $after: String) {
  ${field}(filter: $filter, first: $first, after: $after) {
    edges { cursor node { id occurredAt actorType actorId onBehalfOf action targetType targetId before after details requestId clientAddress } }
    pageInfo { hasNextPage endCursor } } }`;

/** Poll `probe` until it returns a truthy value or the deadline passes. */
export async function eventually<T>(
  probe: () => Promise<T | undefined | null | false>,
  opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${opts.what ?? 'condition'}${lastError ? `: ${String(lastError)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}

/** Ports freePort handed out in this process, oldest first (a stack's services bind them later). */
const issuedPorts = new Set<number>();
const ISSUED_PORTS_KEPT = 4_000;

/**
 * A port for a child process to listen on. Not one the kernel hands out for port 0:
 * those come from the ephemeral range (32768–60999 here), which outgoing connections
 * (Postgres, Kafka, HTTP clients of every test running alongside) also draw from, so
 * between our check and the child's bind one of them could take it — a start-up
 * failure seen in a test run. Ports below that range are only ever bound on purpose;
 * a random one, checked free, leaves concurrent stacks a small chance of meeting.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + randomInt(12_000);
    // A stack picks its ~20 ports before its services bind them: a port handed out a moment ago is
    // still free to listen on, and handing it out twice made two services of one stack collide
    // (EADDRINUSE at start-up, ~2 % of stacks by the birthday bound).
    if (issuedPorts.has(port)) continue;
    if (await canListen(port)) {
      issuedPorts.add(port);
      if (issuedPorts.size > ISSUED_PORTS_KEPT) issuedPorts.delete(issuedPorts.values().next().value as number);
      return port;
    }
  }
  throw new Error('no free port found in 20000–31999');
}

/** Whether a listener could bind this port on 127.0.0.1 right now. */
export function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}
