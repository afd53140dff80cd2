import { createLogger } from '@evcs/platform';
import { TenantEventHub } from '../src/subscriptions/pubsub';

interface Ev {
  id: number;
  charger: string;
}

const logger = createLogger('test', { level: 'silent' });
const T1 = '11111111-1111-4111-8111-111111111111';
const T2 = '22222222-2222-4222-8222-222222222222';

/** Take what is queued right now without waiting for more. */
async function drain<T>(it: AsyncIterator<T>, max: number): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < max; i++) {
    const r = await Promise.race([it.next(), new Promise<'none'>((res) => setImmediate(() => res('none')))]);
    if (r === 'none' || r.done) break;
    out.push(r.value);
  }
  return out;
}

describe('TenantEventHub', () => {
  it("delivers an event only to the subscribers of the event's tenant", async () => {
    const hub = new TenantEventHub<Ev>({ name: 't', logger });
    const a = hub.subscribe(T1);
    const b = hub.subscribe(T2);
    expect(hub.publish(T1, { id: 1, charger: 'CP-1' })).toBe(1);
    expect(hub.publish(T2, { id: 2, charger: 'CP-1' })).toBe(1);
    expect(await drain(a, 10)).toEqual([{ id: 1, charger: 'CP-1' }]);
    expect(await drain(b, 10)).toEqual([{ id: 2, charger: 'CP-1' }]);
  });

  it('narrows with a filter within the tenant', async () => {
    const hub = new TenantEventHub<Ev>({ name: 't', logger });
    const only2 = hub.subscribe(T1, (e) => e.charger === 'CP-2');
    hub.publish(T1, { id: 1, charger: 'CP-1' });
    hub.publish(T1, { id: 2, charger: 'CP-2' });
    expect(await drain(only2, 10)).toEqual([{ id: 2, charger: 'CP-2' }]);
  });

  it('refuses a subscriber without a tenant', () => {
    const hub = new TenantEventHub<Ev>({ name: 't', logger });
    expect(() => hub.subscribe('')).toThrow(expect.objectContaining({ code: 'TENANT_CONTEXT_MISSING' }));
  });

  it('hands an event to a waiting consumer', async () => {
    const hub = new TenantEventHub<Ev>({ name: 't', logger });
    const it = hub.subscribe(T1);
    const next = it.next();
    hub.publish(T1, { id: 7, charger: 'CP-1' });
    await expect(next).resolves.toEqual({ value: { id: 7, charger: 'CP-1' }, done: false });
  });

  it('drops the oldest events of a slow subscriber and warns', async () => {
    const warn = jest.fn();
    const hub = new TenantEventHub<Ev>({ name: 't', logger: { ...logger, warn } as unknown as typeof logger, maxQueue: 3 });
    const slow = hub.subscribe(T1);
    for (let i = 1; i <= 5; i++) hub.publish(T1, { id: i, charger: 'CP-1' });
    expect((await drain(slow, 10)).map((e) => e.id)).toEqual([3, 4, 5]);
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it('unsubscribes on return() and ends waiting consumers on close()', async () => {
    const hub = new TenantEventHub<Ev>({ name: 't', logger });
    const a = hub.subscribe(T1);
    const b = hub.subscribe(T1);
    expect(hub.size).toBe(2);
    await a.return();
    expect(hub.size).toBe(1);
    expect(hub.publish(T1, { id: 1, charger: 'CP-1' })).toBe(1);
    await b.next();
    const pending = b.next();
    hub.close();
    await expect(pending).resolves.toEqual({ value: undefined, done: true });
    expect(hub.size).toBe(0);
  });
});
