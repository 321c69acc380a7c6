import { compareRpmSegments, compareRpmVersions } from './rpm-version';
import { clearsignedText, field, fileList, formatStanza, parseStanza } from './deb822';

describe('rpm version order', () => {
  // Each expectation is what `rpm --eval "%{lua: print(rpm.vercmp(a, b))}"` prints (rpm 4.18).
  it.each([
    ['1.0', '1.0', 0],
    ['1.0', '1.1', -1],
    ['1.0~rc1', '1.0', -1],
    ['1.0^post1', '1.0', 1],
    ['1.0^post1', '1.0.1', -1],
    ['1.0a', '1.0', 1],
    ['1.0', '1.0.a', -1],
    ['2.0', '10', -1],
    ['1.001', '1.1', 0],
    ['a', 'b', -1],
    ['1.0', '1a', 1],
    ['1.0_1', '1.0.1', 0],
    ['5.5p1', '5.5p10', -1],
    ['1.0~rc1', '1.0~rc1~git', 1],
    ['1.0^', '1.0^git', -1],
  ])('%s against %s is %i', (a, b, expected) => {
    expect(Math.sign(compareRpmSegments(a, b))).toBe(expected);
    expect(Math.sign(compareRpmSegments(b, a))).toBe(-expected || 0);
  });

  it('compares epoch first, then version, then release', () => {
    expect(compareRpmVersions({ epoch: 1, version: '1.0', release: '1' }, { epoch: 0, version: '9.0', release: '1' })).toBeGreaterThan(0);
    expect(compareRpmVersions({ epoch: 0, version: '1.0', release: '2' }, { epoch: 0, version: '1.0', release: '10' })).toBeLessThan(0);
  });
});

describe('deb822', () => {
  it('keeps fields in order with their continuation lines', () => {
    const stanza = parseStanza('Package: hello\nVersion: 1.0\nDescription: short\n long line\n .\n more\n\nPackage: next\n');
    expect(stanza).toEqual([
      ['Package', 'hello'],
      ['Version', '1.0'],
      ['Description', 'short\n long line\n .\n more'],
    ]);
    expect(formatStanza(stanza)).toBe('Package: hello\nVersion: 1.0\nDescription: short\n long line\n .\n more\n');
    expect(field(stanza, 'version')).toBe('1.0');
  });

  it('formats a field whose value starts on the next line the way dpkg does', () => {
    const stanza = parseStanza('Files:\n abc 12 hello_1.0.tar.xz\n');
    expect(formatStanza(stanza)).toBe('Files:\n abc 12 hello_1.0.tar.xz\n');
    expect(fileList(field(stanza, 'Files'))).toEqual([{ hash: 'abc', size: 12, name: 'hello_1.0.tar.xz' }]);
  });

  it('reads the signed text of a clearsigned .dsc', () => {
    const signed = '-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nFormat: 3.0 (native)\nSource: hello\n- -dashed: no\n-----BEGIN PGP SIGNATURE-----\n\nxyz\n-----END PGP SIGNATURE-----\n';
    expect(clearsignedText(signed)).toBe('Format: 3.0 (native)\nSource: hello\n-dashed: no');
  });
});
