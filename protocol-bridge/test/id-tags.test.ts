import { generateSigningKey, ServiceGraphQLClient, TokenIssuer } from '@evcs/platform';
import { AUTHORIZE_ID_TAG_QUERY, GraphQLIdTagAuthority } from '../src/id-tags';
import { cardIdTag, cardStartSerial } from '../src/ykc/card-start';

const TENANT = '6f1c2a4e-0b7d-4c1e-9a55-3f2d8c9b1e70';
const USER = '9b2f0c4e-7d7a-4b54-8a6c-0c7b2f6a1d11';

/** A fake tenants subgraph answering authorizeIdTag; records the variables asked. */
function fakeTenants(respond: (v: { tenantId: string; idTag: string; stationId: string | null }) => Response | Promise<Response>) {
  const asked: { query: string; variables: { tenantId: string; idTag: string; stationId: string | null } }[] = [];
  const fetchFn = (async (_url: string | URL | Request, init?: RequestInit) => {
    const body = JSON.parse(String(init?.body)) as (typeof asked)[number];
    asked.push(body);
    return respond(body.variables);
  }) as typeof fetch;
  return { asked, fetchFn };
}
const answer = (status: string, userId: string | null = null) =>
  Response.json({ data: { authorizeIdTag: { status, expiryDate: null, parentIdTag: null, userId } } });

describe('GraphQLIdTagAuthority', () => {
  let tokens: TokenIssuer;
  let clock: number;
  const now = () => clock;
  beforeAll(async () => {
    tokens = new TokenIssuer(await generateSigningKey('bridge-test'), 'evcs-bridge');
  });
  beforeEach(() => {
    clock = Date.now();
  });
  const authority = (fetchFn: typeof fetch) =>
    new GraphQLIdTagAuthority(new ServiceGraphQLClient({ url: 'http://tenants.test/graphql', tokens, subject: 'protocol-bridge', fetch: fetchFn, now }), {
      now,
    });

  it('asks the tenants subgraph, caches the answer 5 s per tenant, station and tag (regardless of case), and shares concurrent lookups', async () => {
    const { asked, fetchFn } = fakeTenants((v) =>
      answer(v.idTag.toUpperCase() === 'OK-1' ? 'Accepted' : 'Invalid', v.idTag.toUpperCase() === 'OK-1' ? USER : null),
    );
    const a = authority(fetchFn);
    const [x, y] = await Promise.all([a.authorize(TENANT, 'OK-1', 'st-1'), a.authorize(TENANT, 'ok-1', 'st-1')]);
    expect(x).toEqual({ status: 'Accepted', userId: USER });
    expect(y).toBe(x);
    expect(asked).toEqual([{ query: AUTHORIZE_ID_TAG_QUERY, variables: { tenantId: TENANT, idTag: 'OK-1', stationId: 'st-1' } }]);
    await a.authorize(TENANT, 'OK-1', 'st-2');
    expect(asked).toHaveLength(2);
    clock += 4_000;
    await a.authorize(TENANT, 'OK-1', 'st-1');
    expect(asked).toHaveLength(2);
    clock += 2_000;
    await a.authorize(TENANT, 'OK-1', 'st-1');
    expect(asked).toHaveLength(3);
    a.forget(TENANT);
    await a.authorize(TENANT, 'OK-1', 'st-1');
    expect(asked).toHaveLength(4);
  });

  it('a failure is "cannot tell" (DEPENDENCY_UNAVAILABLE, retriable), never Invalid, and is not cached', async () => {
    let down = true;
    const { asked, fetchFn } = fakeTenants(() => (down ? new Response('boom', { status: 502 }) : answer('Blocked')));
    const a = authority(fetchFn);
    await expect(a.authorize(TENANT, 'X')).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', retriable: true });
    down = false;
    await expect(a.authorize(TENANT, 'X')).resolves.toEqual({ status: 'Blocked' });
    expect(asked).toHaveLength(2);
    const odd = authority(fakeTenants(() => Response.json({ data: { authorizeIdTag: { status: 'Maybe' } } })).fetchFn);
    await expect(odd.authorize(TENANT, 'X')).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE' });
  });
});

describe('YKC card starts: the tag a card names and the serial it runs under', () => {
  it('a card is its hex digits without the zero padding; a VIN start is its VIN; no card is none', () => {
    expect(cardIdTag({ startMode: 1, card: Buffer.from('00000000a1b2c3d4', 'hex'), vin: '' })).toBe('A1B2C3D4');
    expect(cardIdTag({ startMode: 2, card: Buffer.from('1000000000123456', 'hex'), vin: '' })).toBe('1000000000123456');
    expect(cardIdTag({ startMode: 1, card: Buffer.alloc(8), vin: '' })).toBeNull();
    expect(cardIdTag({ startMode: 3, card: Buffer.alloc(8), vin: 'LSVAU2180N2183294' })).toBe('LSVAU2180N2183294');
    expect(cardIdTag({ startMode: 3, card: Buffer.alloc(8), vin: '' })).toBeNull();
  });
  it('serial: pile + gun + yyMMddHHmmss in China time + a 4-digit counter', () => {
    expect(cardStartSerial('55031412782305', '01', new Date('2024-03-15T02:30:45Z'), 1)).toBe('55031412782305012403151030450001');
    expect(cardStartSerial('55031412782305', '02', new Date('2024-12-31T16:00:00Z'), 10_001)).toBe('55031412782305022501010000000001');
  });
});
