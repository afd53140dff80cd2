import { validateCidrs, validatePassword, validateYkcIdentity } from '../src/domain/charger-security';

// The charger-security input rules are zod schemas; these pin the codes, fields and messages they answer.
describe('charger security input rules', () => {
  it('a YKC identity: every broken field named below its input, in field order', () => {
    const r = validateYkcIdentity('security.ykcIdentity', {
      sim: '12ab',
      pileType: 256,
      guns: 1.5,
      network: -1,
      carrier: 0,
      protocolVersion: 300,
      programVersion: '123456789',
    });
    expect(r).toEqual({
      ok: false,
      errors: [
        { code: 'INVALID', field: 'security.ykcIdentity.sim', message: 'sim is the ICCID: up to 20 digits' },
        { code: 'INVALID', field: 'security.ykcIdentity.pileType', message: 'pileType is one byte (0..255)' },
        { code: 'INVALID', field: 'security.ykcIdentity.guns', message: 'guns is one byte (0..255)' },
        { code: 'INVALID', field: 'security.ykcIdentity.network', message: 'network is one byte (0..255)' },
        { code: 'INVALID', field: 'security.ykcIdentity.protocolVersion', message: 'protocolVersion is one byte (0..255)' },
        { code: 'INVALID', field: 'security.ykcIdentity.programVersion', message: 'programVersion is at most 8 ASCII characters' },
      ],
    });
    expect(validateYkcIdentity('identity', { sim: ' 898600 ', pileType: 1, guns: 2, network: 0, carrier: 4 })).toEqual({
      ok: true,
      value: { sim: '00000000000000898600', pileType: 1, guns: 2, network: 0, carrier: 4, protocolVersion: null, programVersion: null },
    });
  });

  it('passwords and networks', () => {
    expect(validatePassword('password', `${'x'.repeat(15)}\u0007`)).toEqual({
      code: 'INVALID',
      field: 'password',
      message: 'a charger password has no control characters',
    });
    expect(validatePassword('password', 'short')?.message).toMatch(/^a charger password is \d+ to \d+ bytes/);
    expect(validateCidrs('allowedSourceCidrs', ['10.0.0.0/33'])).toEqual({
      ok: false,
      errors: [{ code: 'INVALID', field: 'allowedSourceCidrs.0', message: '"10.0.0.0/33" is not an IPv4 or IPv6 network (e.g. 10.8.0.0/16)' }],
    });
    expect(
      validateCidrs(
        'n',
        Array.from({ length: 33 }, () => '10.0.0.1'),
      ),
    ).toMatchObject({ ok: false, errors: [{ field: 'n', message: 'at most 32 networks' }] });
  });
});
