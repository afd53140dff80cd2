import type { BusMessage, EventBus } from '@evcs/platform';
import { ChargerSession } from '../src/connections/charger-session';
import { connectedEvent } from '../src/connections/events';
import { BatchingChargerEventPublisher } from '../src/kafka/charger-event-publisher';
import { statusNotificationEvent } from '../src/ocpp/handlers/status-notification';
import { aChargerContext, aStamp, aStatusNotification } from './builders';

/** A bus whose publish resolves only when the test says so. */
function controllableBus() {
  const requests: { topic: string; messages: BusMessage[]; resolve(): void; reject(e: unknown): void }[] = [];
  const bus: EventBus = {
    publish: (topic, messages) => new Promise<void>((resolve, reject) => requests.push({ topic, messages, resolve, reject })),
    subscribe: () => Promise.reject(new Error('not used')),
    ensureTopics: async () => undefined,
    close: async () => undefined,
  };
  return { bus, requests };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('BatchingChargerEventPublisher', () => {
  it('sends events gathered while a request is in flight as the next batch, and resolves each after its batch', async () => {
    const { bus, requests } = controllableBus();
    const publisher = new BatchingChargerEventPublisher(bus, { topic: 't', lingerMs: 0, maxBatch: 100 });
    const ctx = aChargerContext();
    const settled: string[] = [];
    const first = publisher.publish(connectedEvent(ctx, aStamp())).then(() => settled.push('first'));
    await tick();
    expect(requests).toHaveLength(1);
    const more = [1, 2, 3].map((n) =>
      publisher.publish(statusNotificationEvent(aChargerContext({ chargerId: `CP-${n}` }), aStamp(), aStatusNotification())).then(() => settled.push(`s${n}`)),
    );
    await tick();
    expect(requests).toHaveLength(1);
    requests[0].resolve();
    await first;
    await tick();
    expect(requests).toHaveLength(2);
    expect(requests[1].messages.map((m) => m.key)).toEqual(['CP-1', 'CP-2', 'CP-3']);
    expect(requests[1].messages[0].headers).toMatchObject({ 'event-type': 'connector.status_changed', 'tenant-id': ctx.tenantId });
    expect(settled).toEqual(['first']);
    requests[1].resolve();
    await Promise.all(more);
    expect(settled).toEqual(['first', 's1', 's2', 's3']);
  });

  it('rejects every event of a failed batch', async () => {
    const { bus, requests } = controllableBus();
    const publisher = new BatchingChargerEventPublisher(bus, { topic: 't', lingerMs: 1, maxBatch: 100 });
    const a = publisher.publish(connectedEvent(aChargerContext({ chargerId: 'A' }), aStamp()));
    const b = publisher.publish(connectedEvent(aChargerContext({ chargerId: 'B' }), aStamp()));
    await new Promise((r) => setTimeout(r, 20));
    expect(requests).toHaveLength(1);
    requests[0].reject(new Error('broker down'));
    await expect(a).rejects.toThrow('broker down');
    await expect(b).rejects.toThrow('broker down');
  });

  it('refuses an event that breaks the contract without sending anything', async () => {
    const { bus, requests } = controllableBus();
    const publisher = new BatchingChargerEventPublisher(bus, { topic: 't', lingerMs: 0, maxBatch: 100 });
    await expect(publisher.publish(connectedEvent(aChargerContext({ tenantId: 'not-a-uuid' }), aStamp()))).rejects.toMatchObject({ code: 'INVALID_EVENT' });
    expect(requests).toHaveLength(0);
  });

  it('close() publishes what is queued and then refuses', async () => {
    const { bus, requests } = controllableBus();
    const publisher = new BatchingChargerEventPublisher(bus, { topic: 't', lingerMs: 10_000, maxBatch: 100 });
    const p = publisher.publish(connectedEvent(aChargerContext(), aStamp()));
    const closed = publisher.close();
    await tick();
    expect(requests).toHaveLength(1);
    requests[0].resolve();
    await Promise.all([p, closed]);
    await expect(publisher.publish(connectedEvent(aChargerContext(), aStamp()))).rejects.toMatchObject({ retriable: true });
  });
});

describe('ChargerSession', () => {
  it('publishes one charger’s events strictly in order, continuing after a failure', async () => {
    const published: string[] = [];
    const failing = new Set<string>();
    const publisher = {
      publish: async (e: { id: string; type: string; data: unknown }) => {
        // Random delays: without the session's ordering, later events would overtake earlier ones.
        await new Promise((r) => setTimeout(r, Math.random() * 5));
        if (failing.has(e.id)) throw new Error('boom');
        published.push(`${e.type}${'status' in (e.data as object) ? `:${(e.data as { status: string }).status}` : ''}`);
      },
      close: async () => undefined,
    };
    const session = new ChargerSession(aChargerContext(), publisher, () => aStamp());
    const begin = session.begin();
    const lostEvent = statusNotificationEvent(session.ctx, aStamp(), aStatusNotification({ status: 'Preparing' }));
    failing.add(lostEvent.id);
    const lost = session.publish(lostEvent);
    const after = session.publish(statusNotificationEvent(session.ctx, aStamp(), aStatusNotification({ status: 'Charging' })));
    const end = session.end('bye');
    expect(session.end('again')).toBe(end);
    await begin;
    await expect(lost).rejects.toThrow('boom');
    await after;
    await end;
    await session.finished;
    expect(published).toEqual(['charger.connected', 'connector.status_changed:Charging', 'charger.disconnected']);
  });

  it('starts only after the work it was told to wait for', async () => {
    const published: string[] = [];
    const publisher = {
      publish: async (e: { chargerId: string; type: string }) => void published.push(`${e.chargerId}:${e.type}`),
      close: async () => undefined,
    };
    let releaseOld!: () => void;
    const old = new Promise<void>((r) => (releaseOld = r));
    const session = new ChargerSession(aChargerContext(), publisher, () => aStamp(), old);
    const begun = session.begin();
    await tick();
    expect(published).toEqual([]);
    releaseOld();
    await begun;
    expect(published).toEqual(['CP-0001:charger.connected']);
  });
});
