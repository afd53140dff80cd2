import { Writable } from 'node:stream';
import { createLogger, redactDeep } from '../src/logger';

function capture(): { stream: Writable; lines: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return { stream, lines: () => chunks.join('') };
}

const SECRETS = {
  password: 'hunter2-password',
  token: 'eyJ-token-value',
  Authorization: 'Bearer abc.def.ghi',
  phone: '+8613800138000',
  idNumber: '110101199003077777',
  apiV3Key: 'wechat-api-v3-key-0123456789abcd',
};

describe('log redaction', () => {
  it('censors secrets and personal data at depth three and deeper, in arrays and child bindings too', () => {
    const out = capture();
    const logger = createLogger('redaction-test', { level: 'info' }, out.stream);
    const child = logger.child({ headers: { authorization: SECRETS.Authorization } });
    child.info({ input: { user: { ...SECRETS } }, batch: [{ deep: { deeper: { secret: 'array-secret-value' } } }] }, 'signing in');
    logger.info({ a: { b: { c: { d: { password: SECRETS.password, phone: SECRETS.phone } } } } }, 'deeper still');
    const text = out.lines();
    for (const v of [...Object.values(SECRETS), 'array-secret-value']) expect(text).not.toContain(v);
    expect(text).toContain('[REDACTED]');
    // what is not secret is kept
    expect(JSON.parse(text.split('\n')[0]).input.user).toEqual(Object.fromEntries(Object.keys(SECRETS).map((k) => [k, '[REDACTED]'])));
  });

  it('does not change the logged object, and survives cycles', () => {
    const o: Record<string, unknown> = { nested: { password: 'x' } };
    o.self = o;
    expect(redactDeep(o)).toEqual({ nested: { password: '[REDACTED]' }, self: '[Circular]' });
    expect((o.nested as { password: string }).password).toBe('x');
  });
});
