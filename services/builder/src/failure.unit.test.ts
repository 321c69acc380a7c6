import { classifyFromLog, summarizeLog, unmetBuildDependencies } from './failure';

describe('failure summary', () => {
  it('names the line that says why, not the wrappers that say something below failed', () => {
    const log = [
      'debian/rules override_dh_auto_build',
      'make[1]: Entering directory /w/src',
      'echo "error: this package is broken on purpose" >&2',
      'error: this package is broken on purpose',
      'make[1]: *** [debian/rules:7: override_dh_auto_build] Error 1',
      'make: *** [debian/rules:3: binary] Error 2',
      'dpkg-buildpackage: error: debian/rules binary subprocess returned exit status 2',
    ].join('\n');
    expect(summarizeLog(log)).toBe('error: this package is broken on purpose');
  });

  it('falls back to the last wrapper line, then to the last line, and keeps it to one short line', () => {
    expect(summarizeLog('building\nmake: *** [all] Error 2\n')).toBe('make: *** [all] Error 2');
    expect(summarizeLog('just output\nthe end\n')).toBe('the end');
    expect(summarizeLog('')).toBeUndefined();
    expect(summarizeLog(`error: ${'x'.repeat(1000)}`)?.length).toBeLessThanOrEqual(400);
  });

  it('tells dependency waits and full disks from package failures', () => {
    expect(classifyFromLog('Fail-Stage: install-deps\n')).toEqual({ failureClass: 'package', code: 'dependency_wait' });
    expect(classifyFromLog('dpkg-checkbuilddeps: error: Unmet build dependencies: libfoo-dev\n')?.code).toBe('dependency_wait');
    expect(classifyFromLog('cp: error writing x: No space left on device\n')).toEqual({ failureClass: 'infrastructure', code: 'disk_full' });
    expect(classifyFromLog('error: this package is broken\n')).toBeUndefined();
  });

  it("takes sbuild's complaints about the machine for infrastructure failures", () => {
    expect(classifyFromLog('Chroot /c/bookworm-i386.tar does not exist\n')).toEqual({ failureClass: 'infrastructure', code: 'chroot_missing' });
    expect(classifyFromLog('Unable to find bookworm-i386 in /home/b/.cache/sbuild\n')?.code).toBe('chroot_missing');
    expect(classifyFromLog('/c/bookworm-i386.tar is not readable\n')?.code).toBe('chroot_missing');
    expect(classifyFromLog('No entry for tsbit-build in /etc/subuid')).toEqual({ failureClass: 'infrastructure', code: 'no_subuid_range' });
    expect(classifyFromLog('E: unable to to unshare\n')?.code).toBe('unshare_unavailable');
  });
});

describe('unmet build dependencies', () => {
  it("names what sbuild's resolver (apt) and its explanation (dose) could not install, without qualifiers or sbuild's dummy", () => {
    const sbuildLog = [
      'The following packages have unmet dependencies:',
      ' sbuild-build-depends-main-dummy : Depends: tsbit-x-greeting (>= 1.0) but it is not installable',
      '                                   Depends: libfoo-dev:arm64 but it is not installable',
      'E: Unable to correct problems, you have held broken packages.',
      '      unsat-dependency: tsbit-x-greeting:amd64 (>= 1.0)',
      'E: Package build dependencies not satisfied; skipping',
    ].join('\n');
    expect(unmetBuildDependencies(sbuildLog)).toEqual(['libfoo-dev', 'tsbit-x-greeting']);
  });

  it("names dpkg-checkbuilddeps' unmet dependencies, each alternative", () => {
    expect(unmetBuildDependencies('dpkg-checkbuilddeps: error: Unmet build dependencies: libbar-dev (>= 2) baz | qux')).toEqual(['baz', 'libbar-dev', 'qux']);
  });

  it('names nothing in a log that does not say', () => {
    expect(unmetBuildDependencies('make: *** [Makefile:3: all] Error 1')).toEqual([]);
  });
});
