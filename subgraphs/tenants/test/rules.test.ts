import { checkIdTag } from '../src/domain/id-tag-rules';
import { checkName, checkPassword, checkPermissions, checkQuotas, checkRoleCode, checkTenantCode, checkUsername, checkUuids } from '../src/domain/rules';

const INVALID = 'INVALID_INPUT';
const UUID = '9b2f0c4e-7d7a-4b54-8a6c-0c7b2f6a1d11';

// The input rules are zod schemas; these pin what they answer: the codes, fields and messages they had by hand.
describe('tenants input rules (zod schemas, one UserError per broken rule)', () => {
  it('codes, names, usernames and passwords', () => {
    expect(checkTenantCode('Bad Code', 'child.code')).toEqual([
      { code: INVALID, field: 'child.code', message: 'Tenant code: 2–63 lowercase letters, digits, "-" or "_"' },
    ]);
    expect(checkName('   ', 'name')).toEqual([{ code: INVALID, field: 'name', message: 'Must be 1–200 characters' }]);
    expect(checkName('x'.repeat(11), 'displayName', 10)).toEqual([{ code: INVALID, field: 'displayName', message: 'Must be 1–10 characters' }]);
    expect(checkName(' ok ', 'name')).toEqual([]);
    expect(checkUsername('a', 'admin.username')).toEqual([
      { code: INVALID, field: 'admin.username', message: 'Username: 2–64 lowercase letters, digits, ".", "_", "-" or "@"' },
    ]);
    expect(checkPassword('短'.repeat(9))).toEqual([{ code: INVALID, field: 'password', message: 'Password must be 10–256 characters' }]);
    expect(checkPassword('密'.repeat(10))).toEqual([]);
    expect(checkRoleCode('lower')).toEqual([{ code: INVALID, field: 'code', message: 'Role code: 2–64 of A–Z, 0–9 and "_", starting with a letter' }]);
    expect(checkRoleCode('FLEET_ADMIN')).toEqual([]);
  });

  it('quotas, permissions and id lists', () => {
    expect(checkQuotas({ maxUsers: 10_000_001, maxChargers: 0 })).toEqual([
      { code: INVALID, field: 'quotas.maxUsers', message: 'Must be a whole number ≥ 0, or null for unlimited' },
    ]);
    expect(checkPermissions(['station:read', 'moon:land', 'x'])).toEqual([
      { code: 'INVALID_PERMISSION', field: 'permissions', message: 'Unknown permission(s): moon:land, x' },
    ]);
    expect(checkPermissions(['station:read'])).toEqual([]);
    expect(checkUuids([UUID, 'a', 'b'], 'roleIds')).toEqual([{ code: INVALID, field: 'roleIds', message: 'Not UUIDs: a, b' }]);
    expect(checkUuids([UUID, UUID], 'roleIds', 1)).toEqual([{ code: INVALID, field: 'roleIds', message: 'At most 1 ids' }]);
    expect(checkUuids([UUID], 'roleIds')).toEqual([]);
  });

  it('id tags', () => {
    expect(checkIdTag('has space', 'rows[3].value')).toEqual([
      { code: INVALID, field: 'rows[3].value', message: 'An id tag is 1–20 printable ASCII characters without spaces' },
    ]);
    expect(checkIdTag('04A1B2C3D4E5F6', 'value')).toEqual([]);
  });
});
