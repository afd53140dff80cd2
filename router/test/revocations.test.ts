import { RevocationList } from '../src/revocations';

describe('RevocationList', () => {
  const now = 1_800_000_000; // seconds
  let clock = now * 1000;
  const list = () => new RevocationList(60 * 60_000, () => clock);
  beforeEach(() => (clock = now * 1000));

  it("refuses a user's tokens issued before the cut-off, and only that user's", () => {
    const l = list();
    expect(l.revoke('u1', now)).toBe(true);
    expect(l.isRevoked('u1', now - 1)).toBe(true);
    expect(l.isRevoked('u1', now)).toBe(false); // issued at the cut-off: after the change
    expect(l.isRevoked('u1', now + 5)).toBe(false);
    expect(l.isRevoked('u2', now - 1)).toBe(false);
  });

  it('a cut-off only rises: a repeated or older revocation changes nothing and tells no one', () => {
    const l = list();
    const heard: [string, number][] = [];
    l.onRevoke((u, c) => heard.push([u, c]));
    expect(l.revoke('u1', now)).toBe(true);
    expect(l.revoke('u1', now)).toBe(false);
    expect(l.revoke('u1', now - 10)).toBe(false);
    expect(l.isRevoked('u1', now - 1)).toBe(true);
    expect(l.revoke('u1', now + 3)).toBe(true);
    expect(l.isRevoked('u1', now + 2)).toBe(true);
    expect(heard).toEqual([
      ['u1', now],
      ['u1', now + 3],
    ]);
  });

  it('ignores revocations older than the horizon (no token they cover can be alive) and forgets expired ones', () => {
    const l = list();
    expect(l.revoke('old', now - 2 * 3600)).toBe(false);
    expect(l.revoke('u1', now)).toBe(true);
    expect(l.size).toBe(1);
    clock += 2 * 3600_000; // two hours on
    l.revoke('u2', now + 2 * 3600);
    expect(l.size).toBe(1);
    expect(l.isRevoked('u1', now - 1)).toBe(false);
    expect(l.isRevoked('u2', now + 2 * 3600 - 1)).toBe(true);
  });
});
