import { lintianCommand, lintianTargets, summarizeLintian } from './lintian';

describe('lintian', () => {
  it('runs on the .changes when there is one, else on the binary packages, bounded by timeout, never failing on tags', () => {
    expect(lintianTargets(['/w/hello_1.0_amd64.deb', '/w/hello_1.0_amd64.buildinfo', '/w/hello_1.0_amd64.changes'])).toEqual(['/w/hello_1.0_amd64.changes']);
    expect(lintianTargets(['/w/hello_1.0_amd64.deb', '/w/hello-udeb_1.0_amd64.udeb', '/w/x.rpm'])).toEqual(['/w/hello_1.0_amd64.deb', '/w/hello-udeb_1.0_amd64.udeb']);
    expect(lintianCommand(['/w/hello_1.0_amd64.changes'])).toEqual({
      command: 'timeout',
      args: ['--kill-after=10', '600', 'lintian', '--fail-on', 'none', '--', '/w/hello_1.0_amd64.changes'],
    });
  });

  it('counts error and warning tags, and tells passed, warnings, errors and a lintian that failed apart', () => {
    const output = [
      'E: tiny: no-copyright-file',
      'E: tiny: description-too-short greeting',
      'W: tiny: no-manual-page [usr/bin/tiny]',
      'I: tiny: spelling-error-in-description teh the',
      'O: tiny: possible-bashism-in-maintainer-script',
      'N: an explanation mentioning W: and E: inside',
      '',
    ].join('\n');
    expect(summarizeLintian(output, 0)).toEqual({ status: 'errors', errors: 2, warnings: 1 });
    expect(summarizeLintian('W: tiny: no-manual-page [usr/bin/tiny]\n', 0)).toEqual({ status: 'warnings', errors: 0, warnings: 1 });
    expect(summarizeLintian('I: tiny: typo\n', 0)).toEqual({ status: 'passed', errors: 0, warnings: 0 });
    expect(summarizeLintian('E: tiny: x\n', 124)).toEqual({ status: 'failed', errors: 1, warnings: 0 });
  });
});
