import { randomUUID } from 'node:crypto';
import { PgBridgeStore } from '../src/persistence/pg-store';
import { BridgeDatabase, bridgeDatabase } from './support';

describe('PgBridgeStore (real Postgres, application role under RLS)', () => {
  let database: BridgeDatabase;
  const a = randomUUID();
  const b = randomUUID();

  beforeAll(async () => {
    database = await bridgeDatabase();
  });
  afterAll(async () => database?.close());

  it('issues one id for concurrent copies of the same StartTransaction', async () => {
    const start = { chargerCode: 'PG-1', connectorId: 1, idTag: 'T', meterStart: 10, startedAt: new Date('2026-01-01T00:00:00Z') };
    const outcomes = await Promise.all(Array.from({ length: 8 }, () => database.store.startTransaction(a, start)));
    expect(new Set(outcomes.map((o) => o.transactionId)).size).toBe(1);
    expect(outcomes.filter((o) => !o.resend)).toHaveLength(1);
  });

  it("keeps one tenant's rows invisible to another", async () => {
    const { transactionId } = await database.store.startTransaction(a, {
      chargerCode: 'PG-2',
      connectorId: 1,
      idTag: 'T',
      meterStart: 0,
      startedAt: new Date(),
    });
    expect(await database.store.stopTransaction(b, { chargerCode: 'PG-2', transactionId, meterStop: 5, stoppedAt: new Date() })).toEqual({ known: false });
    expect(await database.store.stopTransaction(a, { chargerCode: 'PG-2', transactionId, meterStop: 5, stoppedAt: new Date() })).toMatchObject({
      known: true,
      alreadyStopped: false,
    });
    expect(await database.store.stopTransaction(a, { chargerCode: 'PG-2', transactionId, meterStop: 5, stoppedAt: new Date() })).toMatchObject({
      known: true,
      alreadyStopped: true,
    });
    await database.store.holdConnection(a, { chargerCode: 'PG-2', bridgeId: 'x', protocol: 'OCPP16', at: new Date() });
    expect(await database.store.connectionHolder(b, 'PG-2')).toBeNull();
    expect(await database.store.connectionHolder(a, 'PG-2')).toMatchObject({ bridgeId: 'x' });
  });

  it('claims a YKC record serial once and remembers that it was published', async () => {
    const r = { serial: '1'.repeat(32), chargerCode: 'PG-3', gunNo: 1 };
    expect(await database.store.claimTransactionRecord(a, r)).toBe('new');
    expect(await database.store.claimTransactionRecord(a, r)).toBe('unpublished-resend');
    await database.store.markRecordPublished(a, r.serial);
    expect(await database.store.claimTransactionRecord(a, r)).toBe('published');
  });

  it('decides a command once', async () => {
    const c = { commandId: randomUUID(), chargerCode: 'PG-4', bridgeId: 'x' };
    const claims = await Promise.all([database.store.claimCommand(a, c), database.store.claimCommand(a, { ...c, bridgeId: 'y' })]);
    expect(claims.filter(Boolean)).toHaveLength(1);
  });

  it("claims an offline charger's command in the statement that looked for its holder — unless another bridge holds it freshly", async () => {
    const now = new Date();
    const freshSince = new Date(now.getTime() - 30_000);
    const claim = (tenantId: string, chargerCode: string, bridgeId = 'me') =>
      database.store.claimUnlessHeldElsewhere(tenantId, { commandId: randomUUID(), chargerCode, bridgeId, freshSince });
    // nobody holds it: claimed, once
    const nobody = await claim(a, 'PG-5');
    expect(nobody).toEqual({ holder: null, claimed: true });
    // another bridge holds it, seen a moment ago: not ours to decide, nothing claimed
    await database.store.holdConnection(a, { chargerCode: 'PG-6', bridgeId: 'other', protocol: 'OCPP16', at: now });
    expect(await claim(a, 'PG-6')).toEqual({ holder: { bridgeId: 'other', protocol: 'OCPP16', seenAt: now }, claimed: false });
    // ... but not seen since before freshSince: a dead bridge's row, the command is decided here
    const stale = new Date(freshSince.getTime() - 1);
    await database.store.holdConnection(a, { chargerCode: 'PG-7', bridgeId: 'other', protocol: 'OCPP16', at: stale });
    expect(await claim(a, 'PG-7')).toEqual({ holder: { bridgeId: 'other', protocol: 'OCPP16', seenAt: stale }, claimed: true });
    // held by this very bridge (its socket gone a moment ago): decided here
    await database.store.holdConnection(a, { chargerCode: 'PG-8', bridgeId: 'me', protocol: 'YKC', at: now });
    expect(await claim(a, 'PG-8')).toMatchObject({ holder: { bridgeId: 'me' }, claimed: true });
    // another tenant's holder is neither seen nor in the way
    expect(await claim(b, 'PG-6')).toEqual({ holder: null, claimed: true });
    // the same command twice, from two bridges at once: one claim
    const c = { commandId: randomUUID(), chargerCode: 'PG-9', freshSince };
    const both = await Promise.all([
      database.store.claimUnlessHeldElsewhere(a, { ...c, bridgeId: 'x' }),
      database.store.claimUnlessHeldElsewhere(a, { ...c, bridgeId: 'y' }),
    ]);
    expect(both.filter((r) => r.claimed)).toHaveLength(1);
  });

  it("refreshes every held connection's seen_at, over several statements and tenants, and only this bridge's rows", async () => {
    // three codes per statement: 7 codes of tenant a take three statements, tenant b one
    const store = new PgBridgeStore(database.knex, 3);
    const before = new Date('2026-01-01T00:00:00Z');
    const at = new Date('2026-01-01T00:05:00Z');
    const mine = [...Array.from({ length: 7 }, (_, i) => ({ tenantId: a, chargerCode: `TOUCH-A${i}` })), { tenantId: b, chargerCode: 'TOUCH-B0' }];
    for (const h of mine) await store.holdConnection(h.tenantId, { chargerCode: h.chargerCode, bridgeId: 'me', protocol: 'OCPP16', at: before });
    await store.holdConnection(a, { chargerCode: 'TOUCH-OTHER', bridgeId: 'other', protocol: 'OCPP16', at: before });

    await store.touchConnections('me', [...mine, { tenantId: a, chargerCode: 'TOUCH-OTHER' }], at);

    for (const h of mine) expect(await store.connectionHolder(h.tenantId, h.chargerCode)).toMatchObject({ bridgeId: 'me', seenAt: at });
    // held by another bridge: its row is that bridge's to refresh
    expect(await store.connectionHolder(a, 'TOUCH-OTHER')).toMatchObject({ bridgeId: 'other', seenAt: before });
  });
});
