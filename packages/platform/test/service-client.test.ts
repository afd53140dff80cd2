import { DependencyGuard, generateSigningKey, ServiceGraphQLClient, TokenIssuer } from '../src';

const TENANT = '6f1c2a4e-0b7d-4c1e-9a55-3f2d8c9b1e70';
const claims = (authorization: string | null) => JSON.parse(Buffer.from(authorization!.split('.')[1], 'base64url').toString()) as Record<string, unknown>;

/** ServiceGraphQLClient over a fake fetch: tokens, reuse, and what each kind of failure becomes. */
describe('ServiceGraphQLClient', () => {
  let tokens: TokenIssuer;
  let clock: number;
  const now = () => clock;
  beforeAll(async () => {
    // A short default life: the client states its own.
    tokens = new TokenIssuer(await generateSigningKey('svc-k'), 'evcs-test', undefined, 5);
  });
  beforeEach(() => {
    clock = Date.now();
  });

  /** Answers `respond()` (default: data), records the authorization and body of each call. */
  function callee(respond: () => Response | Promise<Response> = () => Response.json({ data: { ok: true } })) {
    const calls: { authorization: string | null; body: unknown }[] = [];
    const fetchFn = (async (_url: string | URL | Request, init?: RequestInit) => {
      calls.push({ authorization: new Headers(init?.headers).get('authorization'), body: JSON.parse(String(init?.body)) });
      return respond();
    }) as typeof fetch;
    const client = (opts: { timeoutMs?: number } = {}) =>
      new ServiceGraphQLClient({ url: 'http://callee.test/graphql', tokens, subject: 'svc', fetch: fetchFn, now, ...opts });
    return { calls, client };
  }

  it('sends the query as the service: without a tenant a platform token, with one a token for that tenant only', async () => {
    const { calls, client } = callee();
    const c = client();
    await expect(c.request('{ ok }', { a: 1 })).resolves.toEqual({ ok: true });
    await c.request('{ ok }', {}, { tenantId: TENANT });
    expect(calls[0].body).toEqual({ query: '{ ok }', variables: { a: 1 } });
    expect(claims(calls[0].authorization)).toMatchObject({ sub: 'svc', kind: 'service', tid: null, iss: 'evcs-test' });
    expect(claims(calls[0].authorization)).not.toHaveProperty('vt');
    expect(claims(calls[1].authorization)).toMatchObject({ sub: 'svc', kind: 'service', tid: TENANT, ds: 'TENANT', vt: [TENANT] });
  });

  it('reuses a token for 30 s of its 60 s life, per tenant', async () => {
    const { calls, client } = callee();
    const c = client();
    await c.request('{ ok }', {});
    await c.request('{ ok }', {});
    await c.request('{ ok }', {}, { tenantId: TENANT });
    expect(calls[1].authorization).toBe(calls[0].authorization);
    expect(calls[2].authorization).not.toBe(calls[0].authorization);
    const c0 = claims(calls[0].authorization);
    expect(Number(c0.exp) - Number(c0.iat)).toBe(60);
    clock += 31_000;
    await c.request('{ ok }', {});
    expect(calls[3].authorization).not.toBe(calls[0].authorization);
  });

  it("keeps the callee's error code; a refused token (UNAUTHENTICATED) is not sent again", async () => {
    let answer: unknown = { errors: [{ message: 'Invalid or expired token', extensions: { code: 'UNAUTHENTICATED' } }], data: null };
    const { calls, client } = callee(() => Response.json(answer, { status: 401 }));
    const c = client();
    await expect(c.request('{ ok }', {})).rejects.toMatchObject({ code: 'UNAUTHENTICATED', retriable: false, message: 'Invalid or expired token' });
    answer = { errors: [{ message: 'no such plan', extensions: { code: 'NOT_FOUND' } }] };
    await expect(c.request('{ ok }', {})).rejects.toMatchObject({ code: 'NOT_FOUND', retriable: false });
    expect(calls[1].authorization).not.toBe(calls[0].authorization);
    await expect(c.request('{ ok }', {})).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // any other error leaves the token alone
    expect(calls[2].authorization).toBe(calls[1].authorization);
  });

  it('an unreachable, failing, overloaded, slow or garbled callee is DEPENDENCY_UNAVAILABLE, retriable', async () => {
    const unavailable = { code: 'DEPENDENCY_UNAVAILABLE', retriable: true };
    const answers: (() => Response | Promise<Response>)[] = [
      () => Promise.reject(new TypeError('fetch failed')),
      () => new Response('<html>bad gateway</html>', { status: 502 }),
      () => Response.json({ errors: [{ message: 'slow down' }] }, { status: 429 }),
      () => new Response('<html>not found</html>', { status: 404 }),
    ];
    for (const respond of answers) await expect(callee(respond).client().request('{ ok }', {})).rejects.toMatchObject(unavailable);
    // A callee that never answers: the request is aborted after timeoutMs.
    const hanging = new ServiceGraphQLClient({
      url: 'http://callee.test/graphql',
      tokens,
      subject: 'svc',
      timeoutMs: 50,
      fetch: ((_url: string, init?: RequestInit) =>
        new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal!.reason)))) as typeof fetch,
    });
    await expect(hanging.request('{ ok }', {})).rejects.toMatchObject(unavailable);
  });

  it('an answer without data or errors is an internal error', async () => {
    await expect(
      callee(() => Response.json({ data: null }))
        .client()
        .request('{ ok }', {}),
    ).rejects.toMatchObject({ code: 'INTERNAL_SERVER_ERROR' });
  });
});

describe('DependencyGuard', () => {
  it("leaves a call's signal alone once the call returned, and aborts it when the call outlives its deadline", async () => {
    const guard = new DependencyGuard({ name: 'callee', timeoutMs: 50 });
    let returned: AbortSignal | undefined;
    await expect(guard.run(async (signal) => ((returned = signal), 'answer'))).resolves.toBe('answer');
    expect(returned!.aborted).toBe(false);
    let slow: AbortSignal | undefined;
    await expect(guard.run((signal) => ((slow = signal), new Promise((resolve) => setTimeout(resolve, 500))))).rejects.toMatchObject({
      code: 'DEPENDENCY_UNAVAILABLE',
    });
    expect(slow!.aborted).toBe(true);
  });
});
