import { canListen, freePort } from '@evcs/testkit';

describe('freePort', () => {
  it('never hands out a port twice in one process, though none of them is bound yet (a stack picks its ports before its services listen)', async () => {
    const ports: number[] = [];
    for (let i = 0; i < 600; i++) ports.push(await freePort());
    // 600 random picks of 12,000 ports repeat one with near certainty (birthday bound) unless the issued ones are skipped
    expect(new Set(ports).size).toBe(ports.length);
    expect(ports.every((p) => p >= 20_000 && p < 32_000)).toBe(true);
    expect(await canListen(ports[0])).toBe(true);
  });
});
