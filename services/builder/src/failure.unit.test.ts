import { classifyFromLog, summarizeLog } from './failure';

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
});
