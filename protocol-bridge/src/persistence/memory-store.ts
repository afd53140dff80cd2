import { BridgeStore, ConnectionHolder, OcppStart, OcppStop, RecordClaim, StartOutcome, StopOutcome } from '../ports';

interface Tx extends OcppStart {
  tenantId: string;
  id: number;
  stoppedAt?: Date;
}

/** In-process BridgeStore with the same rules as PgBridgeStore, for unit tests and database-less demos. */
export class MemoryBridgeStore implements BridgeStore {
  private nextId = 1000;
  private readonly txByKey = new Map<string, Tx>();
  private readonly txById = new Map<number, Tx>();
  private readonly records = new Map<string, { tenantId: string; published: boolean }>();
  private readonly connections = new Map<string, ConnectionHolder & { tenantId: string }>();
  private readonly commands = new Set<string>();

  async startTransaction(tenantId: string, s: OcppStart): Promise<StartOutcome> {
    const key = JSON.stringify([s.chargerCode, s.connectorId, s.idTag, s.meterStart, s.startedAt.toISOString()]);
    const found = this.txByKey.get(key);
    if (found) return { transactionId: found.id, resend: true };
    const tx: Tx = { ...s, tenantId, id: this.nextId++ };
    this.txByKey.set(key, tx);
    this.txById.set(tx.id, tx);
    return { transactionId: tx.id, resend: false };
  }

  async stopTransaction(tenantId: string, s: OcppStop): Promise<StopOutcome> {
    const tx = this.txById.get(s.transactionId);
    if (!tx || tx.tenantId !== tenantId || tx.chargerCode !== s.chargerCode) return { known: false };
    const alreadyStopped = tx.stoppedAt !== undefined;
    tx.stoppedAt ??= s.stoppedAt;
    return { known: true, connectorId: tx.connectorId, idTag: tx.idTag, alreadyStopped };
  }

  async claimTransactionRecord(tenantId: string, r: { serial: string }): Promise<RecordClaim> {
    const found = this.records.get(r.serial);
    if (!found) {
      this.records.set(r.serial, { tenantId, published: false });
      return 'new';
    }
    return found.published ? 'published' : 'unpublished-resend';
  }

  async markRecordPublished(_tenantId: string, serial: string): Promise<void> {
    const found = this.records.get(serial);
    if (found) found.published = true;
  }

  async holdConnection(tenantId: string, c: { chargerCode: string; bridgeId: string; protocol: string; at: Date }): Promise<void> {
    this.connections.set(c.chargerCode, { tenantId, bridgeId: c.bridgeId, protocol: c.protocol, seenAt: c.at });
  }

  async touchConnections(bridgeId: string, held: { tenantId: string; chargerCode: string }[], at: Date): Promise<void> {
    for (const h of held) {
      const c = this.connections.get(h.chargerCode);
      if (c && c.bridgeId === bridgeId) c.seenAt = at;
    }
  }

  async releaseConnection(_tenantId: string, chargerCode: string, bridgeId: string): Promise<void> {
    if (this.connections.get(chargerCode)?.bridgeId === bridgeId) this.connections.delete(chargerCode);
  }

  async connectionHolder(tenantId: string, chargerCode: string): Promise<ConnectionHolder | null> {
    const c = this.connections.get(chargerCode);
    return c && c.tenantId === tenantId ? { bridgeId: c.bridgeId, protocol: c.protocol, seenAt: c.seenAt } : null;
  }

  async claimCommand(_tenantId: string, c: { commandId: string }): Promise<boolean> {
    if (this.commands.has(c.commandId)) return false;
    this.commands.add(c.commandId);
    return true;
  }

  async claimUnlessHeldElsewhere(tenantId: string, c: { commandId: string; chargerCode: string; bridgeId: string; freshSince: Date }) {
    const holder = await this.connectionHolder(tenantId, c.chargerCode);
    if (holder && holder.bridgeId !== c.bridgeId && holder.seenAt >= c.freshSince) return { holder, claimed: false };
    return { holder, claimed: await this.claimCommand(tenantId, c) };
  }

  async close(): Promise<void> {}
}
