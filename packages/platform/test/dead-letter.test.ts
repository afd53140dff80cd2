import { InvalidEventError } from '@evcs/events';
import { z } from 'zod';
import { AppError, classifyFailure, ErrorCodes, tenantOfMessage } from '../src';

const pgError = (code: string) => Object.assign(new Error(`pg ${code}`), { code, severity: 'ERROR' });

describe('classifyFailure', () => {
  it('permanent: the message is at fault (decoding, contract, data the domain or database refuses, a refusal for good)', () => {
    const cases: [unknown, string][] = [
      [new InvalidEventError('data.meterStopKwh: must be a decimal number as a string'), 'INVALID_EVENT'],
      [z.object({ a: z.string() }).safeParse({}).error, 'INVALID_EVENT'],
      [new SyntaxError('Unexpected token'), 'INVALID_EVENT'],
      [new RangeError('not a kWh value: -1'), 'INVALID_DATA'],
      [pgError('22P02'), 'INVALID_DATA'],
      [pgError('23514'), 'INVALID_DATA'],
      [new AppError(ErrorCodes.FORBIDDEN, 'not yours'), 'FORBIDDEN'],
      [new AppError('AMOUNT_NOT_PAYABLE', 'zero'), 'AMOUNT_NOT_PAYABLE'],
    ];
    for (const [e, reason] of cases) expect(classifyFailure(e)).toEqual({ kind: 'permanent', reason, message: (e as Error).message });
  });

  it('transient: anything that may pass on retry, and anything that says nothing', () => {
    const cases: unknown[] = [
      new AppError(ErrorCodes.DEPENDENCY_UNAVAILABLE, 'tariffs is unreachable', { retriable: true }),
      new AppError(ErrorCodes.INTERNAL, 'a service called failed unexpectedly'),
      new AppError(ErrorCodes.UNAUTHENTICATED, 'token refused by the callee'),
      pgError('08006'), // connection failure
      pgError('57P01'), // admin shutdown
      pgError('55P03'), // lock not available
      pgError('40001'), // serialization failure
      pgError('23505'), // a unique violation: a race between consumers a retry resolves
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      new TypeError('fetch failed'),
      new Error('Connection terminated unexpectedly'),
      'a string',
    ];
    for (const e of cases) expect(classifyFailure(e).kind).toBe('transient');
  });

  it('keeps a long message short', () => {
    expect(classifyFailure(new RangeError('x'.repeat(5000))).message).toHaveLength(1000);
  });
});

describe('tenantOfMessage', () => {
  const T = '3f1c8a2e-8b1a-4c7e-9a55-0d3c1e2f4a5b';
  it('the tenant-id header, else the JSON body, only as UUIDs; else unattributed', () => {
    expect(tenantOfMessage({ headers: { 'tenant-id': T.toUpperCase() }, value: null })).toBe(T);
    expect(tenantOfMessage({ headers: {}, value: Buffer.from(JSON.stringify({ tenantId: T, broken: true })) })).toBe(T);
    expect(tenantOfMessage({ headers: { 'tenant-id': 'nope' }, value: Buffer.from('{"tenantId":"also nope"}') })).toBeNull();
    expect(tenantOfMessage({ headers: {}, value: Buffer.from('not json') })).toBeNull();
    expect(tenantOfMessage({ headers: {}, value: Buffer.from('null') })).toBeNull();
    expect(tenantOfMessage({ headers: {}, value: null })).toBeNull();
  });
});
