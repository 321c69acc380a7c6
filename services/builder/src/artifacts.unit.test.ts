import { artifactKind, debianResults } from './artifacts';

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
});
