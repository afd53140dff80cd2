import type { IdTagChanged, LocalAuthEntry } from '@evcs/events';
import type { Logger } from '@evcs/platform';
import { RPCError } from 'ocpp-rpc';
import type { ConnectionRegistry } from '../connections/registry';
import type { IdTagAuthority, LocalAuthList, LocalListStore } from '../ports';

/** An OCPP charger this bridge holds, as the local-list sync needs it. */
export interface OcppLink {
  tenantId: string;
  chargerId: string;
  call(action: string, payload: Record<string, unknown>): Promise<unknown>;
}

export interface LocalListSyncOptions {
  authority: IdTagAuthority;
  /** The bridge's connection registry: which OCPP chargers of a tenant this bridge holds. */
  connections: Pick<ConnectionRegistry, 'get' | 'ofTenant'>;
  store: LocalListStore;
  logger: Logger;
  /** Count outcomes (diagnostics). */
  count?: (what: string) => void;
}

const toOcpp = (e: LocalAuthEntry) => ({
  idTag: e.idTag,
  idTagInfo: { status: e.status, ...(e.expiryDate ? { expiryDate: e.expiryDate } : {}), ...(e.parentIdTag ? { parentIdTag: e.parentIdTag } : {}) },
});

/** A CALLERROR that means the charger has no such profile. */
const notSupported = (err: unknown): boolean => err instanceof RPCError && (err.rpcErrorCode === 'NotImplemented' || err.rpcErrorCode === 'NotSupported');

/**
 * Keeps the OCPP local authorization lists (Local Auth List Management
 * profile) of the chargers this bridge holds in step with their tenant's id
 * tags, so a charger that loses its connection still refuses a blocked card.
 *
 *  - When a charger is up (booted, or beating), GetLocalListVersion: -1 or a
 *    NotImplemented/NotSupported CALLERROR means no list (remembered); a
 *    version other than the tenant's gets a Full update.
 *  - Each `idtag.changed` reaches the tenant's chargers held here: a charger at
 *    version n gets the changes n+1… as one Differential update; a gap, an
 *    unknown state or a VersionMismatch gets a Full update instead.
 *  - Work for one charger runs one at a time, in arrival order.
 *
 * The versions are the tenant's (tenants raises them with every change), kept
 * per charger in bridge.local_auth_lists. A failure leaves the charger where
 * it was; the next change or connection catches it up.
 */
export class LocalListSync {
  /** Connections whose list state is known (they were up); the registry says which are still current. */
  private readonly attached = new WeakSet<OcppLink>();
  private readonly chains = new Map<string, Promise<void>>();

  constructor(private readonly o: LocalListSyncOptions) {}

  attach(link: OcppLink): void {
    this.attached.add(link);
    void this.enqueue(link, () => this.reconcile(link));
  }

  detach(link: OcppLink): void {
    this.attached.delete(link);
  }

  /**
   * Apply a tenant's changes to its chargers held here: queued for each charger at once (so in
   * arrival order); resolves when every charger's turn is done. Never rejects (failures are logged).
   */
  async onChanges(tenantId: string, events: readonly IdTagChanged[]): Promise<void> {
    const links = this.o.connections
      .ofTenant(tenantId, 'OCPP16')
      .map((c) => c.handle)
      .filter((l) => this.attached.has(l));
    await Promise.all(links.map((l) => this.enqueue(l, () => this.apply(l, events))));
  }

  /** Settles when the work queued so far for the charger is done (tests). */
  idle(chargerId: string): Promise<void> {
    return this.chains.get(chargerId) ?? Promise.resolve();
  }

  /** Attached, and still the charger's current connection (not replaced). */
  private held(link: OcppLink): boolean {
    return this.attached.has(link) && this.o.connections.get(link.tenantId, link.chargerId, 'OCPP16')?.handle === link;
  }

  private enqueue(link: OcppLink, work: () => Promise<void>): Promise<void> {
    const run = (this.chains.get(link.chargerId) ?? Promise.resolve()).then(() => (this.held(link) ? work() : undefined));
    const settled = run.catch((err: unknown) => {
      this.o.count?.('local_list_sync_failed');
      this.o.logger.warn({ err, chargerId: link.chargerId }, 'local authorization list sync failed; the next change or connection retries');
    });
    this.chains.set(link.chargerId, settled);
    void settled.finally(() => {
      if (this.chains.get(link.chargerId) === settled) this.chains.delete(link.chargerId);
    });
    return settled;
  }

  private async reconcile(link: OcppLink): Promise<void> {
    let version: number;
    try {
      const r = (await link.call('GetLocalListVersion', {})) as { listVersion: number };
      version = r.listVersion;
    } catch (err) {
      if (!notSupported(err)) throw err;
      version = -1;
    }
    if (version < 0) {
      await this.o.store.set(link.tenantId, link.chargerId, { supported: false, version: null });
      return;
    }
    const list = await this.o.authority.localList(link.tenantId);
    if (list.version === version) {
      await this.o.store.set(link.tenantId, link.chargerId, { supported: true, version });
      return;
    }
    await this.full(link, list);
  }

  private async apply(link: OcppLink, events: readonly IdTagChanged[]): Promise<void> {
    const state = await this.o.store.get(link.tenantId, link.chargerId);
    if (!state) return this.reconcile(link);
    if (!state.supported) return;
    const fresh = [...events]
      .sort((a, b) => a.data.listVersion - b.data.listVersion)
      .filter((e) => state.version === null || e.data.listVersion > state.version);
    if (fresh.length === 0) return;
    const consecutive = state.version !== null && fresh.every((e, i) => e.data.listVersion === state.version! + 1 + i);
    if (!consecutive) return this.full(link);
    // One entry per tag, its last change winning.
    const byTag = new Map<string, IdTagChanged['data']>();
    for (const e of fresh) byTag.set(e.data.idTag.toUpperCase(), e.data);
    const listVersion = fresh[fresh.length - 1].data.listVersion;
    const localAuthorizationList = [...byTag.values()].map((d) => (d.entry ? toOcpp(d.entry) : { idTag: d.idTag }));
    const status = await this.send(link, { listVersion, updateType: 'Differential', localAuthorizationList });
    if (status === 'VersionMismatch') return this.full(link);
    await this.settle(link, status, listVersion, 'Differential');
  }

  private async full(link: OcppLink, list?: LocalAuthList): Promise<void> {
    const l = list ?? (await this.o.authority.localList(link.tenantId));
    const status = await this.send(link, { listVersion: l.version, updateType: 'Full', localAuthorizationList: l.entries.map(toOcpp) });
    await this.settle(link, status, l.version, 'Full');
  }

  private async send(link: OcppLink, payload: Record<string, unknown>): Promise<string> {
    try {
      const r = (await link.call('SendLocalList', payload)) as { status: string };
      return r.status;
    } catch (err) {
      if (notSupported(err)) return 'NotSupported';
      throw err;
    }
  }

  private async settle(link: OcppLink, status: string, version: number, kind: string): Promise<void> {
    this.o.count?.(`send_local_list_${kind}_${status}`);
    if (status === 'Accepted') return this.o.store.set(link.tenantId, link.chargerId, { supported: true, version });
    if (status === 'NotSupported') return this.o.store.set(link.tenantId, link.chargerId, { supported: false, version: null });
    // Failed: unknown what the charger holds now; the next change sends it all.
    this.o.logger.warn({ chargerId: link.chargerId, status, kind, version }, 'charger did not take the local authorization list');
    await this.o.store.set(link.tenantId, link.chargerId, { supported: true, version: null });
  }
}
