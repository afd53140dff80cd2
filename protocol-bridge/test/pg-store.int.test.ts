import { randomUUID } from 'node:crypto';
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
});
