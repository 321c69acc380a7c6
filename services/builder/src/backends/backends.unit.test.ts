import { BuildFailure } from '../failure';
import {
  dpkgBuildpackageCommand,
  farmRepositoryLine,
  gitArchiveCommand,
  hasArchDependentPackages,
  parseExpandedSpec,
  parseRpmspecOutput,
  rpmbuildCommand,
  sbuildCommand,
  sourceTarballCommand,
} from '.';

describe('Debian back ends', () => {
  it('builds everything on the master architecture (-b) and only arch-dependent packages elsewhere (-B)', () => {
    expect(dpkgBuildpackageCommand(true)).toEqual({ command: 'dpkg-buildpackage', args: ['-b', '-uc', '-us'] });
    expect(dpkgBuildpackageCommand(false)).toEqual({ command: 'dpkg-buildpackage', args: ['-B', '-uc', '-us'] });
  });

  const plan = { suite: 'bookworm', arch: 'i386', mode: 'native' as const, chroot: 'bookworm-i386.tar' };
  const sbuild = (overrides: Partial<Parameters<typeof sbuildCommand>[0]> = {}) =>
    sbuildCommand({ suite: 'bookworm', plan, hostArch: 'amd64', chrootDir: '/c', buildArchIndep: false, buildDir: '/w/job-1-attempt-1', source: '/w/job-1-attempt-1/hello_1.0.dsc', ...overrides });

  it('runs sbuild in unshare mode from the planned chroot tarball, for the job arch, without arch:all packages off the master arch', () => {
    expect(sbuild()).toEqual({
      command: 'sbuild',
      args: [
        '--chroot-mode=unshare',
        '--chroot=/c/bookworm-i386.tar',
        '--dist=bookworm',
        '--arch=i386',
        '--no-arch-all',
        '--no-apt-distupgrade',
        '--no-run-lintian',
        '--nolog',
        '--build-dir=/w/job-1-attempt-1',
        '--',
        '/w/job-1-attempt-1/hello_1.0.dsc',
      ],
    });
    expect(sbuild({ buildArchIndep: true }).args).toContain('--arch-all');
    expect(() => sbuild({ suite: '--chroot=evil' })).toThrow(BuildFailure);
  });

  it('cross-builds with --host and the builder arch as --build; emulates with --arch', () => {
    const cross = sbuild({ plan: { suite: 'bookworm', arch: 'arm64', mode: 'cross', chroot: 'bookworm-amd64-cross-arm64.tar' } }).args;
    expect(cross).toEqual(expect.arrayContaining(['--chroot=/c/bookworm-amd64-cross-arm64.tar', '--host=arm64', '--build=amd64']));
    expect(cross.some((arg) => arg.startsWith('--arch='))).toBe(false);
    const emulated = sbuild({ plan: { suite: 'bookworm', arch: 'arm64', mode: 'emulated', chroot: 'bookworm-arm64.tar' } }).args;
    expect(emulated).toEqual(expect.arrayContaining(['--chroot=/c/bookworm-arm64.tar', '--arch=arm64']));
    expect(emulated.some((arg) => arg.startsWith('--host='))).toBe(false);
  });

  it("adds the farm's repository with its key, as one sources.list line without signed-by", () => {
    const extraRepository = { line: farmRepositoryLine('http://farm:8080/repos/', 'bookworm'), keyFile: '/w/key.asc' };
    expect(extraRepository.line).toBe('deb http://farm:8080/repos/deb bookworm main');
    expect(sbuild({ extraRepository }).args).toEqual(
      expect.arrayContaining(['--extra-repository=deb http://farm:8080/repos/deb bookworm main', '--extra-repository-key=/w/key.asc']),
    );
    expect(() => farmRepositoryLine('http://farm/repos', '-x')).toThrow(BuildFailure);
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

  it('makes Source0 from a git checkout with git archive of HEAD under its top directory, compressed as its name says', () => {
    expect(gitArchiveCommand('/w/src', '/w/rpmbuild/SOURCES/hello-1.0.tar.gz', 'hello-1.0')).toEqual({
      command: 'git',
      args: ['-C', '/w/src', 'archive', '--format=tar.gz', '--prefix=hello-1.0/', '--output=/w/rpmbuild/SOURCES/hello-1.0.tar.gz', 'HEAD'],
    });
    expect(gitArchiveCommand('/w/src', '/w/S/hello-1.0.tar.xz', '').args).toEqual(['-C', '/w/src', '-c', 'tar.tar.xz.command=xz -c', 'archive', '--format=tar.xz', '--output=/w/S/hello-1.0.tar.xz', 'HEAD']);
    expect(() => gitArchiveCommand('/w/src', '/w/S/hello-1.0.zip', 'hello-1.0')).toThrow(/only tar archives/);
  });

  it('makes Source0 from another tree with tar, its top directory renamed', () => {
    expect(sourceTarballCommand('/w/src', '/w/rpmbuild/SOURCES/hello-1.0.tar.bz2', 'hello-1.0').args).toEqual([
      '--create',
      '--auto-compress',
      '--file=/w/rpmbuild/SOURCES/hello-1.0.tar.bz2',
      '--exclude-vcs',
      '--directory=/w/src',
      '--transform=s,^\\.,hello-1.0,S',
      '--',
      '.',
    ]);
  });

  describe("reads what the spec expects from rpmspec -P's expansion", () => {
    const expanded = (preamble: string[], prep: string[]) =>
      ['Name: tiny', 'Version: 1.2', ...preamble, 'BuildArch: noarch', '%description', 'x', '%prep', '', "cd '/w/rpmbuild/BUILD'", ...prep, '%build', '%install', '%files'].join('\n');
    const unpack = '/usr/lib/rpm/rpmuncompress -x /w/rpmbuild/SOURCES/tiny-1.2.tar.gz';

    it('Source0 is the basename of its URL; the top directory is the one %setup removes and enters', () => {
      const spec = expanded(['Source0: https://example.org/releases/tiny-1.2.tar.gz', 'Source1: extra.conf', 'Patch0: fix.patch'], ["rm -rf 'tiny-1.2'", unpack, 'STATUS=$?', "cd 'tiny-1.2'"]);
      expect(parseExpandedSpec(spec, 'tiny', '1.2')).toEqual({ name: 'tiny', version: '1.2', source0: 'tiny-1.2.tar.gz', files: ['tiny-1.2.tar.gz', 'extra.conf', 'fix.patch'], topDir: 'tiny-1.2' });
    });

    it('%setup -n names another directory; %setup -c makes one, so the archive has none', () => {
      expect(parseExpandedSpec(expanded(['Source: tiny-1.2.tar.gz'], ["rm -rf 'tiny-src'", unpack, "cd 'tiny-src'"]), 'tiny', '1.2').topDir).toBe('tiny-src');
      expect(parseExpandedSpec(expanded(['Source: tiny-1.2.tar.gz'], ["rm -rf 'foo-1.2'", "/bin/mkdir -p 'foo-1.2'", "cd 'foo-1.2'", unpack]), 'tiny', '1.2').topDir).toBe('');
    });

    it('without a %setup of Source0 the top directory is <name>-<version>; a spec may have no source at all', () => {
      expect(parseExpandedSpec(expanded(['Source0: tiny-1.2.tar.gz'], []), 'tiny', '1.2')).toMatchObject({ source0: 'tiny-1.2.tar.gz', topDir: 'tiny-1.2' });
      expect(parseExpandedSpec(expanded([], []), 'tiny', '1.2')).toMatchObject({ source0: undefined, files: [] });
    });

    it('refuses a source whose name is not a plain file name', () => {
      expect(() => parseExpandedSpec(expanded(['Source0: https://example.org/x/'], []), 'tiny', '1.2')).toThrow(expect.objectContaining({ code: 'invalid_spec' }));
    });
  });

  it('reads name and version from rpmspec, refusing what would not make a safe file name', () => {
    expect(parseRpmspecOutput('hello\t1.0~rc1\n')).toEqual({ name: 'hello', version: '1.0~rc1' });
    expect(() => parseRpmspecOutput('hello\t1.0,evil\n')).toThrow(/Name and Version/);
    expect(() => parseRpmspecOutput('')).toThrow(BuildFailure);
  });
});
