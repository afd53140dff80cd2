import { randomUUID } from 'node:crypto';
import { createKnex, dropDatabase, Knex, withTenant } from '@evcs/platform';
import { PG_SUPERUSER_URL, uniqueName } from '@evcs/testkit';
import { mintClientToken } from '../src/keys';
import { DemoTenant, Stack, startStack } from '../src/stack';

/**
 * Thousands of interleaved requests through the router from three tenants and
 * several roles: no response may contain a row of another tenant or a row
 * outside the caller's data scope.
 */
describe('tenant isolation under concurrency (real router, subgraphs, Postgres)', () => {
  let stack: Stack;
  let knex: Knex;
  const database = uniqueName('evcs_iso');
  const tenants: DemoTenant[] = ['a', 'b', 'c'].map((t) => ({
    id: randomUUID(),
    code: uniqueName(`iso_${t}`),
    name: `Tenant ${t}`,
    stations: [1, 2, 3].map((n) => ({
      code: `${t.toUpperCase()}-ST-${n}`,
      name: `${t.toUpperCase()} station ${n}`,
      chargers: [{ code: `ISO-${t.toUpperCase()}-${n}`, connectors: 2 }],
    })),
  }));

  beforeAll(async () => {
    stack = await startStack({ database, kafkaNamespace: uniqueName('iso'), ports: 'ephemeral', quiet: true });
    for (const t of tenants) await stack.seedTenant(t);
    knex = createKnex({ connectionString: stack.appDatabaseUrl, schema: 'assets', pool: { max: 2 } });
  });
  afterAll(async () => {
    await knex?.destroy();
    await stack?.stop();
    await dropDatabase(PG_SUPERUSER_URL, database);
  });

  interface Caller {
    label: string;
    token: string;
    /** the exact set of charger codes this caller must see */
    expected: string[];
  }

  it('3 tenants × 3 roles, 3000 interleaved requests: zero foreign or out-of-scope rows', async () => {
    const callers: Caller[] = [];
    for (const t of tenants) {
      const all = t.stations.flatMap((s) => s.chargers.map((c) => c.code)).sort();
      const firstStation = await withTenant(
        knex,
        t.id,
        async (trx) => (await trx('stations').where({ tenant_id: t.id, code: t.stations[0].code }).first('id')).id as string,
      );
      const perms = ['station:read'];
      callers.push(
        {
          label: `${t.name}/admin`,
          expected: all,
          token: await mintClientToken(stack.keys, { subject: `admin-${t.id}`, tenantId: t.id, permissions: perms, dataScope: 'TENANT' }),
        },
        {
          label: `${t.name}/viewer`,
          expected: all,
          token: await mintClientToken(stack.keys, { subject: `viewer-${t.id}`, tenantId: t.id, permissions: perms, dataScope: 'TENANT' }),
        },
        {
          label: `${t.name}/station-manager`,
          expected: t.stations[0].chargers.map((c) => c.code),
          token: await mintClientToken(stack.keys, {
            subject: `mgr-${t.id}`,
            tenantId: t.id,
            roles: ['STATION_MANAGER'],
            permissions: perms,
            dataScope: 'ASSIGNED_STATIONS',
            stationIds: [firstStation],
          }),
        },
      );
    }

    const Q = '{ stations(first: 500) { edges { node { id chargers { code connectors { connectorNo } } } } } }';
    const violations: string[] = [];
    let done = 0;
    const total = 3000;
    const concurrency = 40;
    let next = 0;
    async function worker(): Promise<void> {
      while (next < total) {
        const i = next++;
        const caller = callers[i % callers.length];
        const res = await fetch(stack.routerUrls[0], {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${caller.token}`, 'x-tenant-id': tenants[(i + 1) % 3].id },
          body: JSON.stringify({ query: Q }),
        });
        const body = (await res.json()) as {
          data?: { stations: { edges: { node: { chargers: { code: string; connectors: unknown[] }[] } }[] } };
          errors?: unknown;
        };
        if (!body.data) {
          violations.push(`${caller.label}: error ${JSON.stringify(body.errors)}`);
          continue;
        }
        const seen = body.data.stations.edges.flatMap((e) => e.node.chargers.map((c) => c.code)).sort();
        if (JSON.stringify(seen) !== JSON.stringify(caller.expected)) violations.push(`${caller.label}: saw ${seen.join(',')}`);
        done++;
      }
    }
    await Promise.all(Array.from({ length: concurrency }, worker));
    expect(violations.slice(0, 5)).toEqual([]);
    expect(done).toBe(total);
  });
});
