import { hashChargerPassword, verifyChargerPassword } from '@evcs/platform';
import { defaultScryptConcurrency, Semaphore, VerifiedCredentials, VerifiedCredentialsOptions } from '../src/ocpp/verified-credentials';

const RIGHT = Buffer.from('the-right-password-0001');
const OTHER = Buffer.from('another-password-000002');

/** The real scrypt check, counted. */
function counting(opts: VerifiedCredentialsOptions = {}) {
  let clock = 1_000_000;
  const calls: string[] = [];
  const credentials = new VerifiedCredentials({
    now: () => clock,
    verify: (password, hash) => {
      calls.push(password.toString());
      return verifyChargerPassword(password, hash);
    },
    ...opts,
  });
  return { credentials, calls, advance: (ms: number) => (clock += ms) };
}

describe('VerifiedCredentials: a password that passed scrypt is taken on trust, nothing else is', () => {
  let hash: string;
  let rotated: string;
  beforeAll(async () => {
    hash = await hashChargerPassword(RIGHT);
    rotated = await hashChargerPassword(OTHER);
  });

  it('a reconnect with the same password against the same hash skips scrypt', async () => {
    const { credentials, calls } = counting();
    await expect(credentials.check('CP-1', RIGHT, hash)).resolves.toEqual({ ok: true, cached: false });
    await expect(credentials.check('CP-1', Buffer.from(RIGHT), hash)).resolves.toEqual({ ok: true, cached: true });
    await expect(credentials.check('CP-1', RIGHT, hash)).resolves.toEqual({ ok: true, cached: true });
    expect(calls).toHaveLength(1);
  });

  it('another password is verified (and refused), and never becomes a hit, before or after the right one', async () => {
    const { credentials, calls } = counting();
    expect((await credentials.check('CP-1', OTHER, hash)).ok).toBe(false);
    expect((await credentials.check('CP-1', RIGHT, hash)).ok).toBe(true);
    // remembered as wrong, if anything (a retry costs no scrypt): never as right
    expect(await credentials.check('CP-1', OTHER, hash)).toEqual({ ok: false, cached: true, throttled: false });
    expect((await credentials.check('CP-1', RIGHT, hash)).ok).toBe(true);
    // the right password is remembered for CP-1 only: another charger's identity gets nothing from it
    expect(await credentials.check('CP-2', RIGHT, rotated)).toMatchObject({ ok: false, cached: false });
    expect(calls).toEqual([OTHER, RIGHT, RIGHT].map(String));
  });

  it('a rotated credential (another current hash) runs scrypt again: the old password fails, the new one passes', async () => {
    const { credentials, calls } = counting();
    expect((await credentials.check('CP-1', RIGHT, hash)).ok).toBe(true);
    expect(await credentials.check('CP-1', RIGHT, rotated)).toMatchObject({ ok: false, cached: false });
    expect(await credentials.check('CP-1', OTHER, rotated)).toEqual({ ok: true, cached: false });
    expect(await credentials.check('CP-1', OTHER, rotated)).toEqual({ ok: true, cached: true });
    expect(calls).toHaveLength(3);
  });

  it('a forgotten charger (its asset event: revoked, rotated, retired) is verified afresh', async () => {
    const { credentials, calls } = counting();
    await credentials.check('CP-1', RIGHT, hash);
    credentials.forget('CP-1');
    expect(await credentials.check('CP-1', RIGHT, hash)).toEqual({ ok: true, cached: false });
    expect(calls).toHaveLength(2);
  });

  it('after the TTL a password is verified again; with TTL 0 always', async () => {
    const { credentials, calls, advance } = counting({ ttlMs: 60_000 });
    await credentials.check('CP-1', RIGHT, hash);
    advance(59_999);
    expect((await credentials.check('CP-1', RIGHT, hash)).cached).toBe(true);
    advance(1);
    expect(await credentials.check('CP-1', RIGHT, hash)).toEqual({ ok: true, cached: false });
    expect(calls).toHaveLength(2);

    const never = counting({ ttlMs: 0 });
    await never.credentials.check('CP-1', RIGHT, hash);
    expect(await never.credentials.check('CP-1', RIGHT, hash)).toEqual({ ok: true, cached: false });
    expect(never.calls).toHaveLength(2);
  });

  it('remembers at most maxEntries chargers, the least recently admitted forgotten first', async () => {
    const { credentials, calls } = counting({ maxEntries: 2 });
    await credentials.check('CP-1', RIGHT, hash);
    await credentials.check('CP-2', RIGHT, hash);
    await credentials.check('CP-1', RIGHT, hash); // CP-1 used again: CP-2 is now the oldest
    await credentials.check('CP-3', RIGHT, hash);
    expect(credentials.size).toBe(2);
    expect((await credentials.check('CP-1', RIGHT, hash)).cached).toBe(true);
    expect((await credentials.check('CP-2', RIGHT, hash)).cached).toBe(false);
    expect(calls).toHaveLength(4);
  });

  it('wrong passwords cost a charger at most failuresPerWindow scrypts per window; its remembered right password still gets in', async () => {
    const { credentials, calls, advance } = counting({ failuresPerWindow: 2, failureWindowMs: 60_000 });
    await credentials.check('CP-1', RIGHT, hash);
    // the same wrong password retried (a charger left with its old one) costs one scrypt
    await credentials.check('CP-1', OTHER, hash);
    expect(await credentials.check('CP-1', OTHER, hash)).toEqual({ ok: false, cached: true, throttled: false });
    expect(calls).toHaveLength(2);
    // guesses: one more scrypt, then refused unchecked
    await credentials.check('CP-1', Buffer.from('guess-number-one-000001'), hash);
    expect(await credentials.check('CP-1', Buffer.from('guess-number-two-000002'), hash)).toEqual({ ok: false, cached: false, throttled: true });
    expect(calls).toHaveLength(3);
    expect(await credentials.check('CP-1', RIGHT, hash)).toEqual({ ok: true, cached: true });
    // another charger has its own budget; after the window this one has its budget back
    expect(await credentials.check('CP-2', OTHER, hash)).toMatchObject({ ok: false, throttled: false });
    advance(60_000);
    expect(await credentials.check('CP-1', Buffer.from('guess-number-two-000002'), hash)).toMatchObject({ ok: false, cached: false, throttled: false });
    expect(calls).toHaveLength(5);
  });

  it('guesses sent all at once get no more scrypts than the budget', async () => {
    const { credentials, calls } = counting({ failuresPerWindow: 3 });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => credentials.check('CP-1', Buffer.from(`guess-at-once-${String(i).padStart(8, '0')}`), hash)),
    );
    expect(calls).toHaveLength(3);
    expect(results.filter((r) => !r.ok && r.throttled)).toHaveLength(17);
    expect(results.some((r) => r.ok)).toBe(false);
  });

  it('a throttled charger whose password was not remembered is refused until the window ends or it is forgotten', async () => {
    const { credentials, calls } = counting({ failuresPerWindow: 1 });
    await credentials.check('CP-1', OTHER, hash);
    expect(await credentials.check('CP-1', RIGHT, hash)).toEqual({ ok: false, cached: false, throttled: true });
    credentials.forget('CP-1');
    expect(await credentials.check('CP-1', RIGHT, hash)).toEqual({ ok: true, cached: false });
    expect(calls).toHaveLength(2);
  });

  it('runs at most `concurrency` scrypts at once; the rest queue', async () => {
    let active = 0;
    let most = 0;
    const credentials = new VerifiedCredentials({
      concurrency: 2,
      verify: async (password, hash) => {
        active++;
        most = Math.max(most, active);
        try {
          return await verifyChargerPassword(password, hash);
        } finally {
          active--;
        }
      },
    });
    await Promise.all(Array.from({ length: 8 }, (_, i) => credentials.check(`CP-${i}`, RIGHT, hash).then((r) => expect(r.ok).toBe(true))));
    expect(most).toBe(2);
    expect(credentials.scrypts.active).toBe(0);
    expect(credentials.scrypts.queued).toBe(0);
  });
});

describe('Semaphore', () => {
  it('hands a freed slot to the first waiter, and frees it when the task throws', async () => {
    const s = new Semaphore(1);
    const order: string[] = [];
    let release!: () => void;
    const first = s.run(() => new Promise<void>((r) => (release = r)).then(() => order.push('first')));
    const second = s.run(async () => order.push('second'));
    const failing = s.run(() => Promise.reject(new Error('boom')));
    const third = s.run(async () => order.push('third'));
    expect(s.queued).toBe(3);
    release();
    await first;
    await second;
    await expect(failing).rejects.toThrow('boom');
    await third;
    expect(order).toEqual(['first', 'second', 'third']);
    expect(s.active).toBe(0);
  });

  it('by default leaves at least one of libuv’s threads to file and DNS I/O', () => {
    expect(defaultScryptConcurrency(4)).toBeLessThanOrEqual(3);
    expect(defaultScryptConcurrency(1)).toBe(1);
    expect(defaultScryptConcurrency(64)).toBeGreaterThanOrEqual(2);
  });
});
