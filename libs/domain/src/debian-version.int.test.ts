import { execFileSync } from 'node:child_process';
import { compareDebianVersions, isValidDebianVersion } from './debian-version';

const dpkgSays = (a: string, relation: 'lt' | 'eq' | 'gt', b: string): boolean => {
  try {
    execFileSync('dpkg', ['--compare-versions', a, relation, b]);
    return true;
  } catch {
    return false;
  }
};

describe('Debian version ordering', () => {
  it.each([
    ['1.0', '1.0', 0],
    ['1.0', '1.1', -1],
    ['1.0~rc1', '1.0', -1],
    ['1.0', '1.0+b1', -1],
    ['1:0.1', '2.0', 1],
    ['1.0-1', '1.0-2', -1],
    ['1.10', '1.9', 1],
    ['1.0a', '1.0+', -1],
    ['2.30-1~bpo12+1', '2.30-1', -1],
  ])('%s against %s is %i', (a, b, expected) => {
    expect(Math.sign(compareDebianVersions(a, b))).toBe(expected);
  });

  it('agrees with dpkg --compare-versions on generated pairs', () => {
    const parts = ['0', '1', '1.0', '1.0~rc1', '1.0+b1', '1:1.0', '2.0-1', '2.0-1~bpo1', '1.0a', '1.00', '10', '1.0-0.1', '1.0.1', '1~', '1~~', '1+dfsg-2'];
    for (const a of parts) {
      for (const b of parts) {
        const ours = Math.sign(compareDebianVersions(a, b));
        const relation = ours < 0 ? 'lt' : ours > 0 ? 'gt' : 'eq';
        expect({ a, b, agrees: dpkgSays(a, relation, b) }).toEqual({ a, b, agrees: true });
      }
    }
  });

  it('tells valid versions from invalid ones', () => {
    expect(isValidDebianVersion('1.2.3-4')).toBe(true);
    expect(isValidDebianVersion('1:2.0~rc1+dfsg-1')).toBe(true);
    expect(isValidDebianVersion('')).toBe(false);
    expect(isValidDebianVersion('v1.0')).toBe(false);
    expect(isValidDebianVersion('1.0 beta')).toBe(false);
  });
});
