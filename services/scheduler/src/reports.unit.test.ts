import { parseReport } from './reports';

const sha = 'ab'.repeat(32);
const hello = { arches: ['amd64'], suites: ['bookworm'], formats: ['deb'], slots: 1 };

describe('builder reports', () => {
  it('reads each kind of report', () => {
    expect(parseReport({ builder: 'b1', hello: { arches: ['amd64'], suites: ['bookworm'], formats: ['deb'], slots: 2 } })).toEqual({
      builder: 'b1',
      kind: 'hello',
      capabilities: { arches: ['amd64'], suites: ['bookworm'], formats: ['deb'], slots: 2, archSupport: [], unavailable: [] },
    });
    expect(parseReport({ builder: 'b1', heartbeat: { running: [{ jobId: 4, attempt: 1 }] } })).toEqual({ builder: 'b1', kind: 'heartbeat', running: [{ jobId: 4, attempt: 1 }] });
    expect(parseReport({ builder: 'b1', heartbeat: {} })).toEqual({ builder: 'b1', kind: 'heartbeat', running: [] });
    expect(parseReport({ builder: 'b1', started: { jobId: 4, attempt: 1 } })).toEqual({ builder: 'b1', kind: 'started', jobId: 4, attempt: 1, mode: '' });
    expect(parseReport({ builder: 'b1', started: { jobId: 4, attempt: 1, mode: 'cross' } })).toMatchObject({ kind: 'started', mode: 'cross' });
    expect(parseReport({ builder: 'b1', succeeded: { jobId: 4, attempt: 1, artifacts: [{ name: 'a_1_all.deb', sha256: sha, size: '10', kind: 'deb' }] } })).toMatchObject({
      kind: 'succeeded',
      artifacts: [{ name: 'a_1_all.deb', sha256: sha, size: '10', kind: 'deb' }],
    });
    expect(parseReport({ builder: 'b1', failed: { jobId: 4, attempt: 1, failureClass: 'package', code: 'build_failed', message: 'boom' } })).toMatchObject({
      kind: 'failed',
      failureClass: 'package',
      code: 'build_failed',
      message: 'boom',
      artifacts: [],
    });
    expect(parseReport({ builder: 'b1', cancelled: { jobId: 4, attempt: 1 } })).toEqual({ builder: 'b1', kind: 'cancelled', jobId: 4, attempt: 1 });
  });

  it('reads how a hello serves each arch, and what it cannot build with the reason and the fix', () => {
    const archSupport = [
      { suite: 'bookworm', arch: 'amd64', mode: 'native', chroot: 'bookworm-amd64.tar' },
      { suite: 'bookworm', arch: 'arm64', mode: 'cross', chroot: 'bookworm-amd64-cross-arm64.tar' },
    ];
    const unavailable = [{ suite: 'bookworm', arch: 'i386', reason: 'no chroot bookworm-i386.tar', fix: 'sudo services/builder/scripts/make-chroot.sh bookworm i386' }];
    expect(parseReport({ builder: 'b1', hello: { arches: ['amd64', 'arm64'], suites: ['bookworm'], formats: ['deb'], slots: 1, archSupport, unavailable } })).toEqual({
      builder: 'b1',
      kind: 'hello',
      capabilities: { arches: ['amd64', 'arm64'], suites: ['bookworm'], formats: ['deb'], slots: 1, archSupport, unavailable },
    });
  });

  it("reads a success's inputs, and none from a builder that does not send them", () => {
    const inputs = {
      sourceFiles: [{ name: 'hello_2.10-3.dsc', sha256: sha, size: '1500' }],
      sourceRevision: '',
      sourceTreeSha256: '',
      chroot: 'bookworm-amd64-cross-arm64.tar',
      chrootSha256: sha,
      backend: 'sbuild',
      backendVersion: 'sbuild (Debian sbuild) 0.85.0 (04 January 2023)',
      buildinfo: 'hello_2.10-3_arm64.buildinfo',
      mode: 'cross',
    };
    expect(parseReport({ builder: 'b1', succeeded: { jobId: 4, attempt: 1, artifacts: [], inputs } })).toMatchObject({ kind: 'succeeded', inputs });
    expect(parseReport({ builder: 'b1', succeeded: { jobId: 4, attempt: 1, artifacts: [] } })).not.toHaveProperty('inputs');
  });

  it.each([
    [{ builder: 'b1' }, /BuilderReport\.report: must be exactly one of/],
    [{ builder: '', started: { jobId: 1, attempt: 1 } }, /BuilderReport\.builder:/],
    [{ builder: 'b1', started: { jobId: 0, attempt: 1 } }, /BuilderReport\.started\.jobId: must be a positive integer/],
    [{ builder: 'b1', hello: { arches: ['amd64'], suites: ['bookworm'], formats: ['deb'], slots: 0 } }, /hello\.slots/],
    [{ builder: 'b1', hello: { arches: ['amd.64'], suites: ['bookworm'], formats: ['deb'], slots: 1 } }, /hello\.arches\[0\]/],
    [{ builder: 'b1', hello: { arches: [], suites: ['bookworm'], formats: ['deb'], slots: 1 } }, /hello\.arches: must list at least one/],
    [{ builder: 'b1', hello: { ...hello, archSupport: [{ suite: 'bookworm', arch: 'arm64', mode: 'magic' }] } }, /hello\.archSupport\[0\]\.mode: must be one of native, cross, emulated/],
    [{ builder: 'b1', hello: { ...hello, archSupport: [{ suite: 'bookworm', arch: 'arm64' }] } }, /hello\.archSupport\[0\]\.mode: must be one of native, cross, emulated/],
    [{ builder: 'b1', hello: { ...hello, archSupport: [{ suite: 'bookworm', arch: 'arm.64', mode: 'cross' }] } }, /hello\.archSupport\[0\]\.arch:/],
    [{ builder: 'b1', hello: { ...hello, archSupport: [{ suite: 'bookworm', arch: 'arm64', mode: 'cross', chroot: '../x.tar' }] } }, /hello\.archSupport\[0\]\.chroot: must be a file name/],
    [{ builder: 'b1', hello: { ...hello, unavailable: [{ suite: 'bookworm', arch: 'i386', reason: 'no chroot' }] } }, /hello\.unavailable\[0\]\.fix: must be 1 to 1000 characters/],
    [{ builder: 'b1', hello: { ...hello, unavailable: [{ suite: '', arch: 'i386', reason: 'r', fix: 'f' }] } }, /hello\.unavailable\[0\]\.suite:/],
    [{ builder: 'b1', failed: { jobId: 1, attempt: 1, failureClass: 'cosmic', code: 'x' } }, /failed\.failureClass: must be one of package, infrastructure/],
    [{ builder: 'b1', succeeded: { jobId: 1, attempt: 1, artifacts: [{ name: '../x', sha256: sha, size: '1', kind: 'deb' }] } }, /succeeded\.artifacts\[0\]\.name/],
    [{ builder: 'b1', succeeded: { jobId: 1, attempt: 1, artifacts: [{ name: 'x', sha256: 'nope', size: '1', kind: 'deb' }] } }, /sha256/],
    [{ builder: 'b1', started: { jobId: 'seven', attempt: 1 } }, /BuilderReport\.\(body\): BuilderReport:/],
    ['not an object', /BuilderReport\.\(body\)/],
    [{ builder: 'b1', started: { jobId: 1, attempt: 1, mode: 'magic' } }, /started\.mode: must be one of native, cross, emulated/],
    [{ builder: 'b1', succeeded: { jobId: 1, attempt: 1, inputs: { chrootSha256: 'x' } } }, /succeeded\.inputs\.chrootSha256: must be empty or 64/],
    [{ builder: 'b1', succeeded: { jobId: 1, attempt: 1, inputs: { chroot: '../etc/x.tar' } } }, /succeeded\.inputs\.chroot: must be a file name/],
    [{ builder: 'b1', succeeded: { jobId: 1, attempt: 1, inputs: { sourceFiles: [{ name: 'a.dsc', sha256: 'no' }] } } }, /succeeded\.inputs\.sourceFiles\[0\]\.sha256/],
  ])('refuses %j, naming the field and the rule', (body, message) => {
    expect(() => parseReport(body)).toThrow(message);
  });
});
