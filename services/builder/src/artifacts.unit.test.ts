import { artifactKind, debArchitectureFits, debianResults, rpmArchesFor, rpmArchitectureFits, wrongArchitecture } from './artifacts';

describe('artifacts', () => {
  it.each([
    ['hello_1.0_all.deb', 'deb'],
    ['hello-udeb_1.0_amd64.udeb', 'udeb'],
    ['hello-dbgsym_1.0_amd64.ddeb', 'ddeb'],
    ['hello-1.0-1.noarch.rpm', 'rpm'],
    ['hello-1.0-1.src.rpm', 'rpm'],
    ['hello_1.0.dsc', 'dsc'],
    ['hello_1.0_amd64.changes', 'changes'],
    ['hello_1.0_amd64.buildinfo', 'buildinfo'],
    ['build.log', 'log'],
    ['hello_1.0.tar.xz', 'other'],
  ])('takes the kind of %s from its extension: %s', (name, kind) => {
    expect(artifactKind(name)).toBe(kind);
  });

  it('collects only new result files, so that downloaded sources are not taken for results', () => {
    const before = new Set(['hello_1.0.dsc', 'hello_1.0.tar.xz', 'build.log']);
    const after = [...before, 'hello_1.0_all.deb', 'hello_1.0_amd64.changes', 'hello_1.0_amd64.buildinfo', 'hello_1.0.dsc.asc', 'notes.txt'];
    expect(debianResults(before, after)).toEqual(['hello_1.0_all.deb', 'hello_1.0_amd64.buildinfo', 'hello_1.0_amd64.changes']);
  });

  it('takes a .deb for the job arch or for all, nothing else', () => {
    expect(debArchitectureFits('i386', 'i386')).toBe(true);
    expect(debArchitectureFits('i386', 'all')).toBe(true);
    expect(debArchitectureFits('i386', 'amd64')).toBe(false);
    expect(debArchitectureFits('arm64', '')).toBe(false);
  });

  it("maps Debian's arch names to rpm's, and takes noarch rpms for any job", () => {
    expect(rpmArchesFor('amd64')).toEqual(['x86_64']);
    expect(rpmArchesFor('i386')).toEqual(['i386', 'i486', 'i586', 'i686']);
    expect(rpmArchesFor('arm64')).toEqual(['aarch64']);
    expect(rpmArchitectureFits('amd64', 'x86_64')).toBe(true);
    expect(rpmArchitectureFits('i386', 'i686')).toBe(true);
    expect(rpmArchitectureFits('arm64', 'noarch')).toBe(true);
    expect(rpmArchitectureFits('arm64', 'x86_64')).toBe(false);
    expect(rpmArchitectureFits('amd64', 'amd64')).toBe(false);
  });

  it('fails a mislabelled build as the package\'s fault, naming file and arch; an rpm job for a foreign arch as the builder\'s', () => {
    const deb = wrongArchitecture({ arch: 'i386', format: 'deb' }, 'amd64', [{ file: 'hello_1.0_amd64.deb', arch: 'amd64' }]);
    expect(deb).toMatchObject({ failureClass: 'package', code: 'wrong_architecture' });
    expect(deb.message).toContain('hello_1.0_amd64.deb is amd64');
    const rpm = wrongArchitecture({ arch: 'arm64', format: 'rpm' }, 'amd64', [{ file: 'hello-1.0-1.x86_64.rpm', arch: 'x86_64' }]);
    expect(rpm).toMatchObject({ failureClass: 'infrastructure', code: 'arch_unsupported' });
    expect(wrongArchitecture({ arch: 'amd64', format: 'rpm' }, 'amd64', [{ file: 'h.aarch64.rpm', arch: 'aarch64' }]).code).toBe('wrong_architecture');
  });
});
