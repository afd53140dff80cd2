import { generateSigningKey, ServiceGraphQLClient, TokenIssuer } from '@evcs/platform';
import { CHARGER_REGISTRATION_QUERY, GraphQLChargerDirectory, GraphQLChargerDirectoryOptions, InMemoryChargerDirectory } from '../src/directory';

const TENANT = '6f1c2a4e-0b7d-4c1e-9a55-3f2d8c9b1e70';

interface Call {
  url: string;
  authorization: string | null;
  body: { query: string; variables: { code: string } };
}

/** A registration as assets answers it. */
const REG = (chargerId: string, over: Record<string, unknown> = {}) => ({
  chargerId,
  tenantId: TENANT,
  stationId: 's-1',
  protocol: 'OCPP16',
  securityProfile: 1,
  credentialHash: 'scrypt$16384$8$1$c2FsdA==$a2V5',
  ykcIdentity: null,
  allowedSourceCidrs: [],
  desKeyRef: null,
  allowProfile0Commissioning: false,
  learnYkcIdentityOnFirstLogin: false,
  ...over,
});

/** A fake assets subgraph: answers from `known`, records what was asked. */
function fakeAssets(known: Record<string, Record<string, unknown>>, respond?: (code: string) => Response | undefined) {
  const calls: Call[] = [];
  const fetchFn = (async (url: string | URL | Request, init?: RequestInit) => {
    const body = JSON.parse(String(init?.body)) as Call['body'];
    calls.push({ url: String(url), authorization: new Headers(init?.headers).get('authorization'), body });
    const custom = respond?.(body.variables.code);
    if (custom) return custom;
    return Response.json({ data: { chargerRegistration: known[body.variables.code] ?? null } });
  }) as typeof fetch;
  return { calls, fetchFn };
}

describe('GraphQLChargerDirectory', () => {
  let tokens: TokenIssuer;
  let clock: number;
  const now = () => clock;

  beforeAll(async () => {
    tokens = new TokenIssuer(await generateSigningKey('bridge-test'), 'evcs-bridge');
  });
  beforeEach(() => {
    clock = Date.now();
  });
  /** As main.ts builds it, over a fake fetch and the test's clock. */
  const directory = (fetchFn: typeof fetch, opts: GraphQLChargerDirectoryOptions = {}) =>
    new GraphQLChargerDirectory(new ServiceGraphQLClient({ url: 'http://assets.test/graphql', tokens, subject: 'protocol-bridge', fetch: fetchFn, now }), {
      now,
      ...opts,
    });

  it('asks the assets subgraph with a service token and returns the registration', async () => {
    const { calls, fetchFn } = fakeAssets({ 'CP-1': REG('c-1') });
    const dir = directory(fetchFn);
    await expect(dir.resolve('CP-1')).resolves.toEqual(REG('c-1'));
    expect(calls).toHaveLength(1);
    expect(calls[0].url).toBe('http://assets.test/graphql');
    expect(calls[0].body).toEqual({ query: CHARGER_REGISTRATION_QUERY, variables: { code: 'CP-1' } });
    expect(calls[0].authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    const payload = JSON.parse(Buffer.from(calls[0].authorization!.split('.')[1], 'base64url').toString()) as Record<string, unknown>;
    expect(payload).toMatchObject({ sub: 'protocol-bridge', kind: 'service', tid: null, iss: 'evcs-bridge' });
  });

  it('caches a found charger for 10 s and an unknown one for 5 s', async () => {
    const { calls, fetchFn } = fakeAssets({ 'CP-1': REG('c-1') });
    const dir = directory(fetchFn);
    await dir.resolve('CP-1');
    await expect(dir.resolve('NOPE')).resolves.toBeNull();
    clock += 4_000;
    await dir.resolve('CP-1');
    await dir.resolve('NOPE');
    expect(calls).toHaveLength(2);
    clock += 2_000;
    await dir.resolve('NOPE');
    await dir.resolve('CP-1');
    expect(calls.map((c) => c.body.variables.code)).toEqual(['CP-1', 'NOPE', 'NOPE']);
    clock += 5_000;
    await dir.resolve('CP-1');
    expect(calls).toHaveLength(4);
  });

  it('refresh asks past the cache (a rotated password works at once), at most once a second per charger', async () => {
    const known: Record<string, Record<string, unknown>> = { 'CP-1': REG('c-1') };
    const { calls, fetchFn } = fakeAssets(known);
    const dir = directory(fetchFn);
    await dir.resolve('CP-1');
    known['CP-1'] = REG('c-1', { credentialHash: 'scrypt$16384$8$1$bmV3$bmV3' });
    await expect(dir.refresh('CP-1')).resolves.toMatchObject({ credentialHash: 'scrypt$16384$8$1$bmV3$bmV3' });
    await expect(dir.resolve('CP-1')).resolves.toMatchObject({ credentialHash: 'scrypt$16384$8$1$bmV3$bmV3' });
    expect(calls).toHaveLength(2);
    known['CP-1'] = REG('c-1', { credentialHash: 'scrypt$16384$8$1$dGhpcmQ=$dGhpcmQ=' });
    await dir.refresh('CP-1');
    expect(calls).toHaveLength(2);
    clock += 1_500;
    await expect(dir.refresh('CP-1')).resolves.toMatchObject({ credentialHash: 'scrypt$16384$8$1$dGhpcmQ=$dGhpcmQ=' });
    expect(calls).toHaveLength(3);
  });

  it('answers a known charger from its last registration while assets is unavailable, for at most staleForMs; unknown ones stay refused', async () => {
    let down = false;
    const { calls, fetchFn } = fakeAssets({ 'CP-1': REG('c-1') }, () => (down ? new Response('down', { status: 503 }) : undefined));
    const dir = directory(fetchFn, { staleForMs: 60_000 });
    await expect(dir.resolve('CP-1')).resolves.toMatchObject({ chargerId: 'c-1' });
    down = true;
    clock += 11_000; // past the 10 s cache: assets is asked, and fails
    await expect(dir.resolve('CP-1')).resolves.toMatchObject({ chargerId: 'c-1' });
    await expect(dir.refresh('CP-1')).resolves.toMatchObject({ chargerId: 'c-1' });
    await expect(dir.resolve('CP-NEW')).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE' });
    clock += 50_000; // 61 s since assets last answered: too old to stand in
    await expect(dir.resolve('CP-1')).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE' });
    down = false;
    await expect(dir.resolve('CP-1')).resolves.toMatchObject({ chargerId: 'c-1' });
    expect(calls.length).toBeGreaterThanOrEqual(5);
  });

  it('forget: a charger created after a refused attempt is found at once; a renamed one is looked up under its new code and not its old', async () => {
    const known: Record<string, Record<string, unknown>> = {};
    const { calls, fetchFn } = fakeAssets(known);
    const dir = directory(fetchFn, { negativeTtlMs: 600_000 });
    await expect(dir.resolve('CP-NEW')).resolves.toBeNull();
    known['CP-NEW'] = REG('c-new');
    await expect(dir.resolve('CP-NEW')).resolves.toBeNull(); // the negative answer, cached
    dir.forget({ code: 'CP-NEW', chargerId: 'c-new', retired: false });
    await expect(dir.resolve('CP-NEW')).resolves.toMatchObject({ chargerId: 'c-new' });
    expect(calls).toHaveLength(2);
    // renamed at assets: the event carries the new code only; the old entry is found by the charger id
    delete known['CP-NEW'];
    known['CP-RENAMED'] = REG('c-new');
    dir.forget({ code: 'CP-RENAMED', chargerId: 'c-new', retired: false });
    await expect(dir.resolve('CP-NEW')).resolves.toBeNull();
    await expect(dir.resolve('CP-RENAMED')).resolves.toMatchObject({ chargerId: 'c-new' });
    // a change of a charger never cached asks nothing
    dir.forget({ code: 'CP-OTHER', chargerId: 'c-other', retired: false });
    expect(calls).toHaveLength(4);
  });

  it('forget: a changed charger stays the fallback while assets is down; a retired one does not', async () => {
    let down = false;
    const { fetchFn } = fakeAssets({ 'CP-1': REG('c-1'), 'CP-2': REG('c-2') }, () => (down ? new Response('down', { status: 503 }) : undefined));
    const dir = directory(fetchFn, { staleForMs: 60_000 });
    await dir.resolve('CP-1');
    await dir.resolve('CP-2');
    down = true;
    dir.forget({ code: 'CP-1', chargerId: 'c-1', retired: false });
    dir.forget({ code: 'CP-2', chargerId: 'c-2', retired: true });
    await expect(dir.resolve('CP-1')).resolves.toMatchObject({ chargerId: 'c-1' });
    await expect(dir.resolve('CP-2')).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE' });
  });

  it('forget: a charger whose credential was revoked is no fallback either, so its old hash cannot let it in while assets is down', async () => {
    let down = false;
    const { fetchFn } = fakeAssets({ 'CP-1': REG('c-1') }, () => (down ? new Response('down', { status: 503 }) : undefined));
    const dir = directory(fetchFn, { staleForMs: 60_000 });
    await dir.resolve('CP-1');
    down = true;
    dir.forget({ code: 'CP-1', chargerId: 'c-1', retired: false, credentialRevoked: true });
    await expect(dir.resolve('CP-1')).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE' });
  });

  it('reuses its token until shortly before it expires', async () => {
    const { calls, fetchFn } = fakeAssets({});
    const dir = directory(fetchFn, { negativeTtlMs: 0 });
    await dir.resolve('A');
    await dir.resolve('B');
    expect(calls[1].authorization).toBe(calls[0].authorization);
    clock += 51_000; // tokens live 60 s; renewed 10 s before
    await dir.resolve('C');
    expect(calls[2].authorization).not.toBe(calls[0].authorization);
  });

  it('shares one request between concurrent lookups of one charger', async () => {
    const { calls, fetchFn } = fakeAssets({ 'CP-1': REG('c-1') });
    const dir = directory(fetchFn);
    const results = await Promise.all([dir.resolve('CP-1'), dir.resolve('CP-1'), dir.resolve('CP-1')]);
    expect(results.every((r) => r?.chargerId === 'c-1')).toBe(true);
    expect(calls).toHaveLength(1);
  });

  it('throws a retriable error, and caches nothing, when the subgraph answers with errors or fails', async () => {
    let fail = true;
    const { calls, fetchFn } = fakeAssets({ 'CP-1': REG('c-1') }, () =>
      fail ? Response.json({ errors: [{ message: 'Invalid or expired token', extensions: { code: 'UNAUTHENTICATED' } }], data: null }) : undefined,
    );
    const dir = directory(fetchFn);
    await expect(dir.resolve('CP-1')).rejects.toMatchObject({
      code: 'DEPENDENCY_UNAVAILABLE',
      retriable: true,
      message: expect.stringContaining('UNAUTHENTICATED'),
    });
    fail = false;
    await expect(dir.resolve('CP-1')).resolves.toEqual(REG('c-1'));
    expect(calls).toHaveLength(2);
    // the refused token is not sent again
    expect(calls[1].authorization).not.toBe(calls[0].authorization);

    const down = directory((async () => new Response('<html>bad gateway</html>', { status: 502 })) as typeof fetch);
    await expect(down.resolve('CP-1')).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', retriable: true });
    const refused = directory((async () => {
      throw new TypeError('fetch failed');
    }) as typeof fetch);
    await expect(refused.resolve('CP-1')).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', retriable: true });
    const notFound = directory((async () => new Response('<html>not found</html>', { status: 404 })) as typeof fetch);
    await expect(notFound.resolve('CP-1')).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', retriable: true });
  });

  it('an answer of the wrong shape is unavailable too, never a registration', async () => {
    const { fetchFn } = fakeAssets({ 'CP-1': REG('c-1', { tenantId: 'not-a-uuid' }), 'CP-2': REG(''), 'CP-3': REG('c-3', { securityProfile: 3 }) });
    const dir = directory(fetchFn);
    await expect(dir.resolve('CP-1')).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', retriable: true });
    await expect(dir.resolve('CP-2')).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', retriable: true });
    await expect(dir.resolve('CP-3')).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', retriable: true });
    const noData = directory((async () => Response.json({ data: null })) as typeof fetch);
    await expect(noData.resolve('CP-1')).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', retriable: true });
  });

  it('does not grow past maxEntries', async () => {
    const { calls, fetchFn } = fakeAssets({});
    const dir = directory(fetchFn, { maxEntries: 2 });
    await dir.resolve('A');
    await dir.resolve('B');
    await dir.resolve('C'); // evicts A
    await dir.resolve('B');
    await dir.resolve('A');
    expect(calls.map((c) => c.body.variables.code)).toEqual(['A', 'B', 'C', 'A']);
  });
});

describe('InMemoryChargerDirectory', () => {
  it('resolves what it holds, with secure defaults (profile 1, nothing registered), and null otherwise', async () => {
    const dir = new InMemoryChargerDirectory({ 'CP-1': { chargerId: 'c-1', tenantId: TENANT } });
    await expect(dir.resolve('CP-1')).resolves.toEqual({
      chargerId: 'c-1',
      tenantId: TENANT,
      securityProfile: 1,
      credentialHash: null,
      ykcIdentity: null,
      allowedSourceCidrs: [],
      desKeyRef: null,
      allowProfile0Commissioning: false,
      learnYkcIdentityOnFirstLogin: false,
    });
    await expect(dir.resolve('CP-2')).resolves.toBeNull();
  });
});
