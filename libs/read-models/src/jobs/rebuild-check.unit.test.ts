import type { BuildInputs } from '@tsbit/domain';
import { compareBuilds, rebuildCheckStatus } from './rebuild-check';

const inputs: BuildInputs = {
  sourceFiles: [{ name: 'hello_1.0.dsc', sha256: 'a'.repeat(64), size: '512' }],
  sourceRevision: '',
  sourceTreeSha256: 'b'.repeat(64),
  chroot: 'bookworm-amd64.tar',
  chrootSha256: 'c'.repeat(64),
  backend: 'sbuild',
  backendVersion: 'sbuild (Debian sbuild) 0.85.0',
  buildinfo: 'hello_1.0_amd64.buildinfo',
  mode: 'native',
};
const deb = (name: string, sha: string) => ({ name, sha256: sha.repeat(64), kind: 'deb' });
const built = [deb('hello_1.0_amd64.deb', '1'), deb('hello-doc_1.0_all.deb', '2'), { name: 'build.log', sha256: '3'.repeat(64), kind: 'log' }, { name: 'hello_1.0_amd64.buildinfo', sha256: '4'.repeat(64), kind: 'buildinfo' }];

describe('comparing a build with its rebuild', () => {
  it('calls binaries with the same names and sha256 identical, whatever the logs and .buildinfo say', () => {
    const rebuilt = [deb('hello_1.0_amd64.deb', '1'), deb('hello-doc_1.0_all.deb', '2'), { name: 'build.log', sha256: '5'.repeat(64), kind: 'log' }, { name: 'hello_1.0_amd64.buildinfo', sha256: '6'.repeat(64), kind: 'buildinfo' }];
    const comparison = compareBuilds({ files: built, inputs }, { files: rebuilt, inputs });
    expect(comparison).toEqual({
      identical: true,
      inputsDiffer: [],
      files: [
        { name: 'hello-doc_1.0_all.deb', originalSha256: '2'.repeat(64), rebuiltSha256: '2'.repeat(64), identical: true },
        { name: 'hello_1.0_amd64.deb', originalSha256: '1'.repeat(64), rebuiltSha256: '1'.repeat(64), identical: true },
      ],
    });
  });

  it('names the binary that differs and the recorded inputs that differ', () => {
    const comparison = compareBuilds(
      { files: built, inputs },
      { files: [deb('hello_1.0_amd64.deb', '9'), deb('hello-doc_1.0_all.deb', '2')], inputs: { ...inputs, chrootSha256: 'd'.repeat(64), backendVersion: 'sbuild 0.86' } },
    );
    expect(comparison.identical).toBe(false);
    expect(comparison.files.find((file) => file.name === 'hello_1.0_amd64.deb')).toEqual({ name: 'hello_1.0_amd64.deb', originalSha256: '1'.repeat(64), rebuiltSha256: '9'.repeat(64), identical: false });
    expect(comparison.inputsDiffer).toEqual(['chrootSha256', 'backendVersion']);
  });

  it('counts a binary made by only one of the builds as a difference', () => {
    const comparison = compareBuilds({ files: built, inputs }, { files: [deb('hello_1.0_amd64.deb', '1')], inputs });
    expect(comparison.identical).toBe(false);
    expect(comparison.files).toContainEqual({ name: 'hello-doc_1.0_all.deb', originalSha256: '2'.repeat(64), rebuiltSha256: null, identical: false });
  });

  it('does not call two builds without any binary identical, and counts inputs not recorded on one side as differing', () => {
    const comparison = compareBuilds({ files: [], inputs }, { files: [], inputs: null });
    expect(comparison.identical).toBe(false);
    expect(comparison.inputsDiffer).toContain('chrootSha256');
  });

  it('compares rpm and udeb files too', () => {
    const rpm = { name: 'hello-1.0-1.x86_64.rpm', sha256: '7'.repeat(64), kind: 'rpm' };
    const udeb = { name: 'hello-udeb_1.0_amd64.udeb', sha256: '8'.repeat(64), kind: 'udeb' };
    expect(compareBuilds({ files: [rpm, udeb], inputs }, { files: [rpm, { ...udeb, sha256: '0'.repeat(64) }], inputs }).files.map((file) => file.identical)).toEqual([true, false]);
  });
});

describe("a rebuild check's status", () => {
  const same = compareBuilds({ files: built, inputs }, { files: built, inputs });
  const other = compareBuilds({ files: built, inputs }, { files: [], inputs });
  it('is pending while its job is unfinished', () => expect(rebuildCheckStatus('Building', null)).toBe('pending'));
  it('is identical or different once it is Done', () => {
    expect(rebuildCheckStatus('Done', same)).toBe('identical');
    expect(rebuildCheckStatus('Done', other)).toBe('different');
  });
  it('is failed when the rebuild failed or was cancelled', () => {
    expect(rebuildCheckStatus('Failed', null)).toBe('failed');
    expect(rebuildCheckStatus('Cancelled', null)).toBe('failed');
  });
});
