import { BuildFailure } from '../failure';
import { dpkgBuildpackageCommand, hasArchDependentPackages, parseRpmspecOutput, rpmbuildCommand, sbuildCommand, sourceTarballCommand } from '.';

describe('Debian back ends', () => {
  it('builds everything on the master architecture (-b) and only arch-dependent packages elsewhere (-B)', () => {
    expect(dpkgBuildpackageCommand(true)).toEqual({ command: 'dpkg-buildpackage', args: ['-b', '-uc', '-us'] });
    expect(dpkgBuildpackageCommand(false)).toEqual({ command: 'dpkg-buildpackage', args: ['-B', '-uc', '-us'] });
  });

  it('runs sbuild in an unshared chroot with or without arch:all packages', () => {
    expect(sbuildCommand({ suite: 'bookworm', arch: 'arm64', buildArchIndep: false, buildDir: '/w/job-1-attempt-1' })).toEqual({
      command: 'sbuild',
      args: ['--chroot-mode=unshare', '--no-clean-source', '-d', 'bookworm', '--arch', 'arm64', '--no-arch-all', '--nolog', '--build-dir=/w/job-1-attempt-1'],
    });
    expect(sbuildCommand({ suite: 'bookworm', arch: 'amd64', buildArchIndep: true, buildDir: '/w' }).args).toContain('--arch-all');
    expect(() => sbuildCommand({ suite: '--chroot=evil', arch: 'amd64', buildArchIndep: true, buildDir: '/w' })).toThrow(BuildFailure);
  });

  it('tells packages with arch-dependent binaries from arch:all-only ones', () => {
    const control = (...arches: string[]) =>
      ['Source: x', 'Build-Depends: debhelper-compat (= 13)', '', ...arches.flatMap((arch, i) => [`Package: x${i}`, `Architecture: ${arch}`, ''])].join('\n');
    expect(hasArchDependentPackages(control('all'))).toBe(false);
    expect(hasArchDependentPackages(control('all', 'any'))).toBe(true);
    expect(hasArchDependentPackages(control('amd64 arm64'))).toBe(true);
  });
});

describe('rpm back end', () => {
  it('builds with a private _topdir, the spec after --', () => {
    expect(rpmbuildCommand('/w/rpmbuild', '/w/src/hello.spec')).toEqual({
      command: 'rpmbuild',
      args: ['-ba', '--define', '_topdir /w/rpmbuild', '--', '/w/src/hello.spec'],
    });
  });

  it('makes Source0 from the tree with <name>-<version>/ as its top directory', () => {
    expect(sourceTarballCommand('/w/src', '/w/rpmbuild/SOURCES/hello-1.0.tar.gz', 'hello-1.0').args).toEqual([
      '--create',
      '--gzip',
      '--file=/w/rpmbuild/SOURCES/hello-1.0.tar.gz',
      '--exclude-vcs',
      '--directory=/w/src',
      '--transform=s,^\\.,hello-1.0,S',
      '.',
    ]);
  });

  it('reads name and version from rpmspec, refusing what would not make a safe file name', () => {
    expect(parseRpmspecOutput('hello\t1.0~rc1\n')).toEqual({ name: 'hello', version: '1.0~rc1' });
    expect(() => parseRpmspecOutput('hello\t1.0,evil\n')).toThrow(/Name and Version/);
    expect(() => parseRpmspecOutput('')).toThrow(BuildFailure);
  });
});
