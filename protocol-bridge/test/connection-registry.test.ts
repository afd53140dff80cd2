import type { ChargerEvent } from '@evcs/events';
import { createLogger } from '@evcs/platform';
import { ChargerSession } from '../src/connections/charger-session';
import type { Protocol } from '../src/connections/diagnostics';
import { ConnectionRegistry, LiveConnection } from '../src/connections/registry';
import { MemoryBridgeStore } from '../src/persistence/memory-store';
import type { ChargerEventPublisher } from '../src/ports';
import { aStamp, aTenantId } from './builders';

/** Unit tests of the one registry both protocol servers register into (no I/O: the store is in memory). */
describe('ConnectionRegistry', () => {
  const published: ChargerEvent[] = [];
  const publisher: ChargerEventPublisher = { publish: async (e) => void published.push(e), close: async () => undefined };
  let clock = new Date('2026-12-01T08:00:00Z');
  let store: MemoryBridgeStore;
  let registry: ConnectionRegistry;

  type Fake = LiveConnection & { closedWith: string[] };
  const connect = (tenantId: string, chargerId: string, protocol: Protocol = 'OCPP16', remoteAddress = '10.0.0.1'): Fake => {
    const session = new ChargerSession({ tenantId, chargerId, protocol, bridgeId: 'b1' }, publisher, () => aStamp({ receivedAt: clock }));
    const closedWith: string[] = [];
    const handle =
      protocol === 'OCPP16' ? { tenantId, chargerId, call: async () => ({}), drain: async () => undefined } : { pushBillingModel: async () => 'none' as const };
    return {
      session,
      protocol,
      remoteAddress,
      handle,
      closedWith,
      execute: async () => ({ status: 'ACCEPTED' }),
      close: (reason) => {
        closedWith.push(reason);
        void session.end(reason);
      },
    } as Fake;
  };

  beforeEach(() => {
    clock = new Date('2026-12-01T08:00:00Z');
    store = new MemoryBridgeStore();
    registry = new ConnectionRegistry({
      store,
      bridgeId: 'b1',
      logger: createLogger('registry-test', { level: 'silent' }),
      silenceTimeoutMs: 60_000,
      sweepIntervalMs: 3_600_000,
      now: () => clock,
    });
  });
  afterEach(() => registry.stop());

  it('registers a connection under its tenant and charger, and records this bridge as its holder', async () => {
    const tenant = aTenantId();
    const c = connect(tenant, 'CP-1');
    expect(registry.register(c)).toBeUndefined();
    expect(registry.get(tenant, 'CP-1')).toBe(c);
    // The same code under another tenant is another charger.
    expect(registry.get(aTenantId(), 'CP-1')).toBeUndefined();
    expect(registry.count()).toBe(1);
    await new Promise((r) => setImmediate(r));
    expect(await store.connectionHolder(tenant, 'CP-1')).toMatchObject({ bridgeId: 'b1', protocol: 'OCPP16' });
  });

  it('looks connections up per protocol', () => {
    const tenant = aTenantId();
    const ocpp = connect(tenant, 'CP-1', 'OCPP16');
    const pile = connect(tenant, '55031412782305', 'YKC');
    const elsewhere = connect(aTenantId(), '55031412782399', 'YKC');
    [ocpp, pile, elsewhere].forEach((c) => registry.register(c));
    expect(registry.get(tenant, 'CP-1', 'OCPP16')).toBe(ocpp);
    expect(registry.get(tenant, 'CP-1', 'YKC')).toBeUndefined();
    expect(registry.get(tenant, '55031412782305', 'YKC')).toBe(pile);
    expect(registry.ofTenant(tenant, 'YKC')).toEqual([pile]);
    expect(registry.ofTenant(tenant, 'OCPP16')).toEqual([ocpp]);
    expect(registry.ofTenant(tenant)).toHaveLength(2);
    expect(registry.all('YKC')).toEqual([pile, elsewhere]);
    expect([registry.count(), registry.count('OCPP16'), registry.count('YKC')]).toEqual([3, 1, 2]);
  });

  it('a newer connection of the same charger takes over: the older one is closed and stays pending until its disconnect is out', async () => {
    const tenant = aTenantId();
    const old = connect(tenant, 'CP-1', 'OCPP16', '10.0.0.1');
    registry.register(old);
    const fresh = connect(tenant, 'CP-1', 'OCPP16', '10.0.0.2');
    expect(registry.register(fresh)).toBe(old);
    expect(old.closedWith).toEqual(['replaced by a newer connection']);
    expect(fresh.closedWith).toEqual([]);
    expect(registry.get(tenant, 'CP-1')).toBe(fresh);
    expect(registry.count()).toBe(1);
    expect(registry.pending()).toContain(fresh);
    await old.session.finished;
    await new Promise((r) => setImmediate(r));
    expect(registry.pending()).toEqual([fresh]);
    // Registering the current connection again takes over nothing.
    expect(registry.register(fresh)).toBeUndefined();
    expect(fresh.closedWith).toEqual([]);
  });

  it('only the current connection unregisters: the late close of a replaced one leaves its successor and its holder row alone', async () => {
    const tenant = aTenantId();
    const old = connect(tenant, 'CP-1');
    const fresh = connect(tenant, 'CP-1');
    registry.register(old);
    registry.register(fresh);
    await new Promise((r) => setImmediate(r));
    registry.unregister(old);
    expect(registry.get(tenant, 'CP-1')).toBe(fresh);
    await new Promise((r) => setImmediate(r));
    expect(await store.connectionHolder(tenant, 'CP-1')).not.toBeNull();
    registry.unregister(fresh);
    expect(registry.get(tenant, 'CP-1')).toBeUndefined();
    await new Promise((r) => setImmediate(r));
    expect(await store.connectionHolder(tenant, 'CP-1')).toBeNull();
  });

  it('the sweep disconnects chargers silent past the timeout and refreshes the holder rows of the others', async () => {
    const tenant = aTenantId();
    const silent = connect(tenant, 'CP-SILENT');
    const talking = connect(tenant, 'CP-TALKING');
    registry.register(silent);
    registry.register(talking);
    clock = new Date(clock.getTime() + 61_000);
    talking.session.touch(clock);
    await registry.sweep();
    expect(silent.closedWith).toEqual(['silent: no message within the liveness timeout']);
    expect(talking.closedWith).toEqual([]);
    expect((await store.connectionHolder(tenant, 'CP-TALKING'))?.seenAt).toEqual(clock);
  });
});
