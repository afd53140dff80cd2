import { randomUUID } from 'node:crypto';
import { CHARGER_EVENTS_PARTITIONS, ChargerEvent, encodeChargerEvent } from '@evcs/events';
import { createKnex, createLogger, DeadLetterRecorder, KafkaEventBus, Knex, PgDeadLetterStore, withTenant } from '@evcs/platform';
import { createTestDatabase, ensureKafka, eventually, TestDatabase, uniqueName } from '@evcs/testkit';
import { migrations, PgStatusStore, seedDemoAssets, startStatusConsumer, StatusIngestService } from '../src';
import { statusHandler } from '../src/events/status-consumer';
import { PgFleetCounts } from '../src/persistence/fleet-counts';
import { aStatusEvent } from './builders';

const logger = createLogger('assets-test', { level: 'silent' });

describe('connector status ingestion (real Postgres + Kafka)', () => {
  let db: TestDatabase;
  let app: Knex;
  const tenantA = randomUUID();
  const tenantB = randomUUID();

  beforeAll(async () => {
    db = await createTestDatabase([migrations]);
    app = createKnex({ connectionString: db.appUrl, schema: 'assets' });
    await seedDemoAssets(app, tenantA, [{ code: 'S-A', name: 'Station A', chargers: [{ code: 'A-CP-1', connectors: 2 }] }]);
    await seedDemoAssets(app, tenantB, [{ code: 'S-B', name: 'Station B', chargers: [{ code: 'B-CP-1', connectors: 1 }] }]);
  });
  afterAll(async () => {
    await app?.destroy();
    await db?.drop();
  });

  const statusOf = (tenantId: string, code: string, no: number) =>
    withTenant(app, tenantId, async (trx) => {
      const r = await trx.raw(
        'select cn.status, cn.status_at from connectors cn join chargers c on c.id = cn.charger_id where c.code = ? and cn.connector_no = ?',
        [code, no],
      );
      return r.rows[0] as { status: string; status_at: Date } | undefined;
    });

  it('applies a status, and a replay of the same event changes nothing', async () => {
    const svc = new StatusIngestService(new PgStatusStore(app));
    const ev = aStatusEvent({ tenantId: tenantA, chargerId: 'A-CP-1', data: { connectorId: 1, status: 'Charging' } });
    expect(await svc.apply(ev)).toBe('applied');
    const first = await statusOf(tenantA, 'A-CP-1', 1);
    expect(first?.status).toBe('Charging');
    expect(await svc.apply(ev)).toBe('duplicate');
    const hist = await withTenant(app, tenantA, (trx) => trx('connector_status_history').where({ event_id: ev.id }).count<{ count: string }[]>('* as count'));
    expect(Number(hist[0].count)).toBe(1);
    expect(await statusOf(tenantA, 'A-CP-1', 1)).toEqual(first);
  });

  it('a batch commits its statuses together; one failure inside — even caught — keeps nothing of it', async () => {
    await seedDemoAssets(app, tenantA, [{ code: 'S-BATCH', name: 'Batch', chargers: [{ code: 'A-BATCH-1', connectors: 2 }] }]);
    const svc = new StatusIngestService(new PgStatusStore(app));
    const t0 = Date.now();
    const ev = (no: number, status: 'Charging' | 'Faulted', s: number) =>
      aStatusEvent({ tenantId: tenantA, chargerId: 'A-BATCH-1', occurredAt: new Date(t0 + s * 1000).toISOString(), data: { connectorId: no, status } });
    await svc.inBatch(tenantA, async () => {
      expect(await svc.apply(ev(1, 'Charging', 1))).toBe('applied');
      expect(await svc.apply(ev(2, 'Charging', 1))).toBe('applied');
      expect((await statusOf(tenantA, 'A-BATCH-1', 1))?.status).not.toBe('Charging'); // not committed yet
    });
    expect([(await statusOf(tenantA, 'A-BATCH-1', 1))?.status, (await statusOf(tenantA, 'A-BATCH-1', 2))?.status]).toEqual(['Charging', 'Charging']);
    await expect(
      svc.inBatch(tenantA, async () => {
        await svc.apply(ev(1, 'Faulted', 2));
        // a statement that fails: connector 300 breaks the column's check (1–255)
        await svc.apply(ev(300, 'Faulted', 2)).catch(() => undefined);
        await svc.apply(ev(2, 'Faulted', 2));
      }),
    ).rejects.toThrow();
    expect([(await statusOf(tenantA, 'A-BATCH-1', 1))?.status, (await statusOf(tenantA, 'A-BATCH-1', 2))?.status]).toEqual(['Charging', 'Charging']);
  });

  it('never lets an older status overwrite a newer one', async () => {
    const svc = new StatusIngestService(new PgStatusStore(app));
    const t0 = Date.now();
    const newer = aStatusEvent({
      tenantId: tenantA,
      chargerId: 'A-CP-1',
      occurredAt: new Date(t0 + 60_000).toISOString(),
      data: { connectorId: 2, status: 'Finishing' },
    });
    const older = aStatusEvent({
      tenantId: tenantA,
      chargerId: 'A-CP-1',
      occurredAt: new Date(t0).toISOString(),
      data: { connectorId: 2, status: 'Charging' },
    });
    expect(await svc.apply(newer)).toBe('applied');
    expect(await svc.apply(older)).toBe('stale');
    expect((await statusOf(tenantA, 'A-CP-1', 2))?.status).toBe('Finishing');
  });

  it("does not touch another tenant's charger even with its code", async () => {
    const svc = new StatusIngestService(new PgStatusStore(app));
    // Tenant A claims B's charger code: RLS and the explicit tenant filter both refuse.
    const ev = aStatusEvent({ tenantId: tenantA, chargerId: 'B-CP-1', data: { connectorId: 1, status: 'Faulted' } });
    expect(await svc.apply(ev)).toBe('unknown-charger');
    expect((await statusOf(tenantB, 'B-CP-1', 1))?.status).toBe('Unavailable');
  });

  it('a disconnect shows the connectors Offline with a history row each; replays add none; newer statuses stay', async () => {
    await seedDemoAssets(app, tenantA, [{ code: 'S-OFF', name: 'Offline', chargers: [{ code: 'A-OFF-1', connectors: 2 }] }]);
    const store = new PgStatusStore(app);
    const svc = new StatusIngestService(store);
    const t0 = Date.now();
    const at = (s: number) => new Date(t0 + s * 1000).toISOString();
    // connector 2 reported a status *after* the (late-arriving) disconnect: it keeps it
    expect(await svc.apply(aStatusEvent({ tenantId: tenantA, chargerId: 'A-OFF-1', occurredAt: at(1), data: { connectorId: 1, status: 'Charging' } }))).toBe(
      'applied',
    );
    expect(await svc.apply(aStatusEvent({ tenantId: tenantA, chargerId: 'A-OFF-1', occurredAt: at(20), data: { connectorId: 2, status: 'Available' } }))).toBe(
      'applied',
    );
    const disconnect: ChargerEvent = {
      id: randomUUID(),
      version: 1,
      type: 'charger.disconnected',
      tenantId: tenantA,
      chargerId: 'A-OFF-1',
      occurredAt: at(10),
      receivedAt: at(10),
      source: { protocol: 'OCPP16', bridgeId: 't' },
      data: { reason: 'test' },
    };
    // the charger's last_seen_at (20 s) is newer than the disconnect, so the charger stays online
    expect(await svc.apply(disconnect)).toBe('applied');
    expect((await statusOf(tenantA, 'A-OFF-1', 1))?.status).toBe('Charging');

    const later: ChargerEvent = { ...disconnect, id: randomUUID(), occurredAt: at(30), receivedAt: at(30) };
    expect(await svc.apply(later)).toBe('applied');
    expect((await statusOf(tenantA, 'A-OFF-1', 1))?.status).toBe('Offline');
    expect((await statusOf(tenantA, 'A-OFF-1', 2))?.status).toBe('Offline');
    expect(await svc.apply(later)).toBe('applied');
    const offlineRows = await withTenant(app, tenantA, (trx) =>
      trx('connector_status_history as h')
        .join('connectors as c', 'c.id', 'h.connector_id')
        .join('chargers as ch', 'ch.id', 'c.charger_id')
        .where({ 'ch.code': 'A-OFF-1', 'h.status': 'Offline' })
        .select('h.connector_id', 'h.occurred_at'),
    );
    expect(offlineRows).toHaveLength(2);
    // a replay of an older status neither revives the connector nor the charger
    const online = () => withTenant(app, tenantA, async (trx) => (await trx('chargers').where({ code: 'A-OFF-1' }).first('online')).online as boolean);
    expect(await online()).toBe(false);
    expect(await svc.apply(aStatusEvent({ tenantId: tenantA, chargerId: 'A-OFF-1', occurredAt: at(5), data: { connectorId: 1, status: 'Finishing' } }))).toBe(
      'stale',
    );
    expect(await online()).toBe(false);
    // reconnecting and reporting replaces Offline
    expect(await svc.apply(aStatusEvent({ tenantId: tenantA, chargerId: 'A-OFF-1', occurredAt: at(40), data: { connectorId: 1, status: 'Available' } }))).toBe(
      'applied',
    );
    expect((await statusOf(tenantA, 'A-OFF-1', 1))?.status).toBe('Available');
    expect(await online()).toBe(true);
    // ... even when the charger's clock lags the bridge's (Offline was stamped at 30 s by the bridge)
    expect((await statusOf(tenantA, 'A-OFF-1', 2))?.status).toBe('Offline');
    expect(await svc.apply(aStatusEvent({ tenantId: tenantA, chargerId: 'A-OFF-1', occurredAt: at(25), data: { connectorId: 2, status: 'Preparing' } }))).toBe(
      'applied',
    );
    expect((await statusOf(tenantA, 'A-OFF-1', 2))?.status).toBe('Preparing');
  });

  it('a run applied set-based has the outcomes and leaves the state of the same events applied one by one', async () => {
    // Two identical chargers (3 connectors, one of them first seen in the run) get the same
    // story: the one-by-one path on SEQ, the set-based run on SET. The story repeats connectors,
    // goes back in time, replays events (in the run and from before it), names an unknown
    // charger, and has a disconnect in the middle that shows the connectors Offline.
    await seedDemoAssets(app, tenantA, [
      {
        code: 'S-RUN',
        name: 'Runs',
        chargers: [
          { code: 'A-SEQ', connectors: 2 },
          { code: 'A-SET', connectors: 2 },
        ],
      },
    ]);
    const store = new PgStatusStore(app);
    const svc = new StatusIngestService(store);
    const t0 = Date.now();
    let seed = 42;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const statuses = ['Available', 'Preparing', 'Charging', 'SuspendedEV', 'Finishing', 'Faulted'] as const;
    type Step =
      | { kind: 'status'; no: number; status: (typeof statuses)[number]; s: number; replayOf?: number }
      | { kind: 'disconnect'; s: number; replayOf?: number }
      | { kind: 'unknown'; s: number; replayOf?: number };
    const story: Step[] = [];
    for (let k = 0; k < 120; k++) {
      const r = rnd(20);
      if (k === 60) story.push({ kind: 'disconnect', s: 200 });
      else if (r === 0) story.push({ kind: 'unknown', s: k });
      else if (r <= 2 && k > 0) {
        const of = rnd(k);
        story.push({ ...story[of], replayOf: of });
      } else story.push({ kind: 'status', no: 1 + rnd(3), status: statuses[rnd(statuses.length)], s: k < 60 ? rnd(150) : 150 + rnd(100) });
    }
    const eventsFor = (code: string): ChargerEvent[] => {
      const ids: string[] = [];
      return story.map((step) => {
        const id = step.replayOf === undefined ? randomUUID() : ids[step.replayOf];
        ids.push(id);
        const at = new Date(t0 + step.s * 1000).toISOString();
        if (step.kind === 'disconnect')
          return {
            id,
            version: 1,
            type: 'charger.disconnected',
            tenantId: tenantA,
            chargerId: code,
            occurredAt: at,
            receivedAt: at,
            source: { protocol: 'OCPP16', bridgeId: 't' },
            data: { reason: 'test' },
          };
        if (step.kind === 'unknown') return aStatusEvent({ id, tenantId: tenantA, chargerId: `${code}-NOPE`, occurredAt: at });
        return aStatusEvent({ id, tenantId: tenantA, chargerId: code, occurredAt: at, data: { connectorId: step.no, status: step.status } });
      });
    };
    // Both start from the same history: one status already applied, then replayed in the story.
    const before = (code: string) =>
      aStatusEvent({
        id: randomUUID(),
        tenantId: tenantA,
        chargerId: code,
        occurredAt: new Date(t0 + 100_000).toISOString(),
        data: { connectorId: 1, status: 'Charging' },
      });
    const seqBefore = before('A-SEQ');
    const setBefore = before('A-SET');
    expect(await svc.apply(seqBefore)).toBe('applied');
    expect(await svc.apply(setBefore)).toBe('applied');
    const seqEvents = [...eventsFor('A-SEQ'), seqBefore];
    const setEvents = [...eventsFor('A-SET'), setBefore];

    const oneByOne = [];
    for (const e of seqEvents) oneByOne.push(await svc.apply(e));
    const spy = jest.spyOn(store, 'applyConnectorStatus');
    const inRun = await svc.applyRun(tenantA, setEvents);
    expect(spy).not.toHaveBeenCalled(); // the run went set-based, not one by one
    spy.mockRestore();
    expect(inRun).toEqual(oneByOne);
    expect(new Set(oneByOne)).toEqual(new Set(['applied', 'stale', 'duplicate', 'unknown-charger']));

    const state = (code: string) =>
      withTenant(app, tenantA, async (trx) => ({
        charger: (await trx.raw('select online, last_seen_at from chargers where code = ?', [code])).rows,
        connectors: (
          await trx.raw(
            `select cn.connector_no, cn.status, cn.error_code, cn.status_at, count(h.id)::int as history
               from connectors cn join chargers c on c.id = cn.charger_id left join connector_status_history h on h.connector_id = cn.id
              where c.code = ? group by cn.id order by cn.connector_no`,
            [code],
          )
        ).rows,
      }));
    const seqState = await state('A-SEQ');
    expect(seqState.connectors).toHaveLength(3);
    expect(await state('A-SET')).toEqual(seqState);
  });

  it('a run fails as a whole: nothing of it is kept', async () => {
    await seedDemoAssets(app, tenantA, [{ code: 'S-RUNFAIL', name: 'Run fails', chargers: [{ code: 'A-RUNFAIL', connectors: 1 }] }]);
    const svc = new StatusIngestService(new PgStatusStore(app));
    const at = new Date().toISOString();
    const good = aStatusEvent({ tenantId: tenantA, chargerId: 'A-RUNFAIL', occurredAt: at, data: { connectorId: 1, status: 'Faulted' } });
    // connector 300 breaks the column's check (1–255)
    const bad = aStatusEvent({ tenantId: tenantA, chargerId: 'A-RUNFAIL', occurredAt: at, data: { connectorId: 300, status: 'Faulted' } });
    await expect(svc.applyRun(tenantA, [good, bad])).rejects.toThrow();
    expect((await statusOf(tenantA, 'A-RUNFAIL', 1))?.status).toBe('Unavailable');
    expect(await svc.applyRun(tenantA, [good])).toEqual(['applied']);
  });

  it("a fetch's calls are applied together, tenants apart; a bad event fails only its own call", async () => {
    await seedDemoAssets(app, tenantA, [
      {
        code: 'S-MERGE',
        name: 'Merge',
        chargers: [
          { code: 'A-MERGE-1', connectors: 1 },
          { code: 'A-MERGE-2', connectors: 1 },
        ],
      },
    ]);
    await seedDemoAssets(app, tenantB, [{ code: 'S-MERGE-B', name: 'Merge B', chargers: [{ code: 'B-MERGE-1', connectors: 1 }] }]);
    const handle = statusHandler(new StatusIngestService(new PgStatusStore(app)), logger);
    const t0 = Date.now();
    const ev = (tenantId: string, code: string, connectorId: number, status: 'Charging' | 'Finishing' | 'Faulted', s: number) =>
      aStatusEvent({ tenantId, chargerId: code, occurredAt: new Date(t0 + s * 1000).toISOString(), data: { connectorId, status } });
    const asMessages = (events: ChargerEvent[], partition: number) =>
      events.map((e, i) => ({
        topic: 't',
        partition,
        offset: String(i),
        timestamp: String(t0),
        ...encodeChargerEvent(e),
        value: Buffer.from(encodeChargerEvent(e).value),
      }));
    // three partitions' calls in the same turn, as kafkajs makes them for one fetch: two tenants
    // interleaved, each charger's events in order within its call
    await Promise.all([
      handle(
        asMessages([ev(tenantA, 'A-MERGE-1', 1, 'Charging', 1), ev(tenantB, 'B-MERGE-1', 1, 'Charging', 1), ev(tenantA, 'A-MERGE-1', 1, 'Finishing', 2)], 0),
      ),
      handle(asMessages([ev(tenantB, 'B-MERGE-1', 1, 'Finishing', 2)], 1)),
      handle(asMessages([ev(tenantA, 'A-MERGE-2', 1, 'Charging', 1)], 2)),
    ]);
    expect((await statusOf(tenantA, 'A-MERGE-1', 1))?.status).toBe('Finishing');
    expect((await statusOf(tenantA, 'A-MERGE-2', 1))?.status).toBe('Charging');
    expect((await statusOf(tenantB, 'B-MERGE-1', 1))?.status).toBe('Finishing');
    // connector 300 breaks the column's check (1–255): that call fails, the one beside it is applied
    const results = await Promise.allSettled([
      handle(asMessages([ev(tenantA, 'A-MERGE-1', 300, 'Faulted', 3)], 0)),
      handle(asMessages([ev(tenantA, 'A-MERGE-2', 1, 'Faulted', 3)], 2)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled']);
    expect((await statusOf(tenantA, 'A-MERGE-2', 1))?.status).toBe('Faulted');
    expect((await statusOf(tenantA, 'A-MERGE-1', 1))?.status).toBe('Finishing');
  });

  it("other consumers' events (sessions, meter values, heartbeats, command results) are skipped by header: no statement", async () => {
    const handle = statusHandler(new StatusIngestService(new PgStatusStore(app)), logger);
    const base = aStatusEvent({ tenantId: tenantA, chargerId: 'A-CP-1', data: { connectorId: 1, status: 'Charging' } });
    const others = [
      { ...base, id: randomUUID(), type: 'charger.heartbeat', data: {} },
      {
        ...base,
        id: randomUUID(),
        type: 'command.result',
        data: { commandId: randomUUID(), command: 'session.start', status: 'FAILED', reason: 'CHARGER_OFFLINE' },
      },
      {
        ...base,
        id: randomUUID(),
        type: 'session.started',
        data: { connectorId: 1, transactionId: '77', idTag: 'T', meterStartWh: 0, startedAt: base.occurredAt, trigger: 'LOCAL' },
      },
    ] as ChargerEvent[];
    const asMessages = (events: ChargerEvent[]) =>
      events.map((e, i) => ({
        topic: 't',
        partition: 0,
        offset: String(i),
        timestamp: '0',
        ...encodeChargerEvent(e),
        value: Buffer.from(encodeChargerEvent(e).value),
      }));
    const statements: string[] = [];
    const count = (q: { sql: string }) => statements.push(q.sql);
    app.on('query', count);
    try {
      await handle(asMessages(others));
    } finally {
      app.off('query', count);
    }
    expect(statements).toEqual([]);
  });

  it('applies a run of thousands of events set-based, each one once', async () => {
    const chargers = Array.from({ length: 400 }, (_, i) => ({ code: `A-BIG-${i}`, connectors: 2 }));
    await seedDemoAssets(app, tenantA, [{ code: 'S-BIG', name: 'Big', chargers }]);
    const svc = new StatusIngestService(new PgStatusStore(app));
    const t0 = Date.now();
    const events = [1, 2, 3].flatMap((round) =>
      chargers.flatMap((c) =>
        [1, 2].map((connectorId) =>
          aStatusEvent({
            tenantId: tenantA,
            chargerId: c.code,
            occurredAt: new Date(t0 + round * 1000).toISOString(),
            data: { connectorId, status: round === 3 ? 'Charging' : 'Preparing' },
          }),
        ),
      ),
    );
    const outcomes = await svc.applyRun(tenantA, events);
    expect(outcomes.filter((o) => o === 'applied')).toHaveLength(events.length);
    const rows = await withTenant(app, tenantA, (trx) =>
      trx.raw<{ rows: { n: string; charging: string }[] }>(
        `select count(*) as n, count(*) filter (where cn.status = 'Charging') as charging
           from connectors cn join chargers c on c.id = cn.charger_id where c.code like 'A-BIG-%'`,
      ),
    );
    expect(rows.rows[0]).toEqual({ n: '800', charging: '800' });
    const hist = await withTenant(app, tenantA, (trx) =>
      trx('connector_status_history')
        .whereIn(
          'event_id',
          events.map((e) => e.id),
        )
        .count<{ count: string }[]>('* as count'),
    );
    expect(Number(hist[0].count)).toBe(events.length);
    expect((await svc.applyRun(tenantA, events)).every((o) => o === 'duplicate')).toBe(true);
  });

  it('the set-based statements are planned for their arrays at every run, never kept as prepared statements', async () => {
    // One connection, so pg_prepared_statements (per session) shows what this pool prepared.
    // A prepared statement gets a generic plan after five runs: 3–10× slower for these two.
    await seedDemoAssets(app, tenantA, [{ code: 'S-PLAN', name: 'Plans', chargers: [{ code: 'A-PLAN-1', connectors: 2 }] }]);
    const one = createKnex({ connectionString: db.appUrl, schema: 'assets', pool: { min: 1, max: 1 } });
    try {
      const svc = new StatusIngestService(new PgStatusStore(one));
      const t0 = Date.now() + 3_600_000; // newer than whatever the seed set
      for (let run = 0; run < 7; run++) {
        const events = [1, 2].map((connectorId) =>
          aStatusEvent({
            tenantId: tenantA,
            chargerId: 'A-CP-1',
            occurredAt: new Date(t0 + run * 1000).toISOString(),
            data: { connectorId, status: 'Charging' },
          }),
        );
        expect(await svc.applyRun(tenantA, events)).toEqual(['applied', 'applied']);
      }
      const prepared = await one.raw<{ rows: { statement: string }[] }>('select statement from pg_prepared_statements');
      expect(prepared.rows.filter((r) => r.statement.includes('unnest('))).toEqual([]);
    } finally {
      await one.destroy();
    }
  });

  it('consumes events from Kafka, commits after applying, and survives a full replay', async () => {
    await ensureKafka();
    const topic = uniqueName('t_charger_events');
    const bus = new KafkaEventBus({ clientId: uniqueName('assets-test'), brokers: ['127.0.0.1:9092'], logger });
    try {
      const deadLetterTopic = uniqueName('t_dead_letters');
      await bus.ensureTopics([
        { topic, partitions: CHARGER_EVENTS_PARTITIONS },
        { topic: deadLetterTopic, partitions: 1 },
      ]);
      const store = new PgDeadLetterStore(app, 'assets');
      const deadLetters = new DeadLetterRecorder({ store, bus, topic: deadLetterTopic });
      const base = Date.now();
      const statuses = ['Available', 'Preparing', 'Charging'] as const;
      const events = statuses.map((status, i) =>
        aStatusEvent({ tenantId: tenantB, chargerId: 'B-CP-1', occurredAt: new Date(base + i * 1000).toISOString(), data: { connectorId: 1, status } }),
      );
      await bus.publish(topic, events.map(encodeChargerEvent));
      // a malformed event in the middle of the stream is dead-lettered, not fatal
      await bus.publish(topic, [{ key: 'B-CP-1', value: '{"type":"connector.status_changed","nonsense":true}' }]);

      const ingest = new StatusIngestService(new PgStatusStore(app));
      const group = uniqueName('assets-status');
      const sub = await startStatusConsumer({ bus, ingest, logger, deadLetters, topic, groupId: group });
      await sub.ready;
      await eventually(async () => (await statusOf(tenantB, 'B-CP-1', 1))?.status === 'Charging', { what: 'status Charging' });
      const after = await statusOf(tenantB, 'B-CP-1', 1);
      await sub.stop();

      // A new consumer group re-reads everything from the beginning: a full replay.
      const replay = await startStatusConsumer({ bus, ingest, logger, deadLetters, topic, groupId: uniqueName('assets-replay') });
      await replay.ready;
      const histCount = async () =>
        Number(
          (
            await withTenant(app, tenantB, (trx) =>
              trx('connector_status_history')
                .whereIn(
                  'event_id',
                  events.map((e) => e.id),
                )
                .count<{ count: string }[]>('* as count'),
            )
          )[0].count,
        );
      await eventually(async () => (await histCount()) === 3, { what: 'history rows' });
      // The malformed event is one dead letter (it names no tenant), seen twice: by the first group and by the replay.
      const scope = { scope: 'ALL' as const, tenantId: tenantB, tenantIds: [tenantB], stationIds: null, selfSubject: null };
      const dead = await eventually(
        async () => {
          const rows = (await store.list(scope, {}, { direction: 'forward', size: 10, cursor: null })).filter((d) => d.topic === topic);
          return rows[0]?.attempts === 2 ? rows : undefined;
        },
        { what: 'the malformed event dead-lettered by both groups' },
      );
      expect(dead.map((d) => [d.consumer, d.tenantId, d.reasonCode, d.attempts])).toEqual([['assets-status', null, 'INVALID_EVENT', 2]]);
      await new Promise((r) => setTimeout(r, 1000));
      await replay.stop();
      expect(await histCount()).toBe(3);
      expect(await statusOf(tenantB, 'B-CP-1', 1)).toEqual(after);
    } finally {
      await bus.close();
    }
  });

  it('counts the fleet per tenant across tenants (the fleet gauges): registered, online, charging, connectors by status', async () => {
    const tenantC = randomUUID();
    await seedDemoAssets(app, tenantC, [
      {
        code: 'S-FLEET',
        name: 'Fleet',
        chargers: [
          { code: 'C-FLEET-1', connectors: 2 },
          { code: 'C-FLEET-2', connectors: 1 },
          { code: 'C-FLEET-3', connectors: 1 },
        ],
      },
    ]);
    const svc = new StatusIngestService(new PgStatusStore(app));
    const at = new Date().toISOString();
    for (const code of ['C-FLEET-1', 'C-FLEET-2']) {
      expect(
        await svc.apply({ ...aStatusEvent({ tenantId: tenantC, chargerId: code }), type: 'charger.connected', occurredAt: at, data: {} } as ChargerEvent),
      ).toBe('applied');
    }
    await svc.apply(aStatusEvent({ tenantId: tenantC, chargerId: 'C-FLEET-1', occurredAt: at, data: { connectorId: 1, status: 'Charging' } }));
    await svc.apply(aStatusEvent({ tenantId: tenantC, chargerId: 'C-FLEET-1', occurredAt: at, data: { connectorId: 2, status: 'Available' } }));
    const counts = await new PgFleetCounts(app, 0).counts();
    // the application role reads every tenant's counts (and nothing but counts)
    expect(new Set(counts.map((c) => c.tenantId))).toEqual(new Set([tenantA, tenantB, tenantC]));
    const c = counts.find((f) => f.tenantId === tenantC)!;
    expect(c).toMatchObject({ chargers: 3, online: 2, charging: 1 });
    // C-FLEET-2 is online with its connector not reported yet; C-FLEET-3 is offline
    expect(c.connectors).toEqual({ Charging: 1, Available: 1, Unavailable: 1, Offline: 1 });
  });
});
