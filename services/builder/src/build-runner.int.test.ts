import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import pino from 'pino';
import { waitFor } from '@tsbit/service-kit';
import { createApiClient } from './api-client';
import type { BuildJob } from './build-request';
import { jobDirectory, runBuild, type BuildOutcome, type BuildRunOptions } from './build-runner';
import { startTestApi, type TestApi } from './testing/fake-api';
import { testJob } from './testing/step-context';
import { gitCommitAll, makeDebianTree, makeDsc, makeRpmTree, svnImport } from './testing/fixtures';

const logger = pino({ level: 'silent' });
const BUILD_TEST_TIMEOUT_MS = 60_000;

describe('runBuild with real tools', () => {
  const id = randomBytes(3).toString('hex');
  const scratch = mkdtempSync(path.join(tmpdir(), 'tsbit-builder-test-'));
  const workDir = path.join(scratch, 'work');
  let api: TestApi;
  let jobIds = 0;

  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  // The test's own unsigned .dsc is built unchecked (signatures: sources/signature.int.test.ts).
  const job = (overrides: Partial<BuildJob> & Pick<BuildJob, 'package' | 'source'>): BuildJob =>
    testJob({ jobId: ++jobIds, skipSignatureCheck: true, ...overrides });

  const build = (buildJob: BuildJob, options: Partial<BuildRunOptions> = {}): Promise<BuildOutcome> =>
    runBuild({
      job: buildJob,
      builderName: 'test-builder',
      workDir,
      backend: 'native',
      keepFailed: true,
      buildTimeoutMs: BUILD_TEST_TIMEOUT_MS,
      cancelGraceMs: 1000,
      api: createApiClient({ baseUrl: api.url, token: api.token, uploadAttempts: 2, uploadBackoffMs: 10 }),
      logger,
      signal: new AbortController().signal,
      env: { ...process.env, TSBIT_TOKEN: 'must-not-leak' },
      ...options,
    });

  const uploadsOf = (jobId: number) => api.uploads.filter((upload) => upload.jobId === jobId);

  it('builds a native package from git into a .deb that dpkg-deb reads, uploads it with the log, and cleans up', async () => {
    const tree = makeDebianTree({ root: scratch, package: `hello-${id}` });
    const url = gitCommitAll(tree.dir);
    const request = job({ package: tree.package, source: { method: 'git', url, ref: 'main' } });

    const outcome = await build(request);

    expect(outcome).toMatchObject({ result: 'succeeded' });
    const deb = outcome.artifacts.find((artifact) => artifact.kind === 'deb');
    expect(deb?.name).toBe(`${tree.package}_1.0_all.deb`);
    expect(outcome.artifacts.map((artifact) => artifact.kind).sort()).toEqual(['buildinfo', 'changes', 'deb', 'log']);
    const uploads = uploadsOf(request.jobId);
    for (const artifact of outcome.artifacts) {
      const upload = uploads.find((candidate) => candidate.name === artifact.name);
      expect(upload?.sha256).toBe(artifact.sha256);
      expect(String(upload?.content.length)).toBe(artifact.size);
      expect(upload?.kind).toBe(artifact.kind);
    }
    const file = path.join(scratch, deb?.name ?? 'missing.deb');
    writeFileSync(file, uploads.find((upload) => upload.kind === 'deb')?.content ?? Buffer.alloc(0));
    const info = execFileSync('dpkg-deb', ['-I', file], { encoding: 'utf8' });
    expect(info).toContain(`Package: ${tree.package}`);
    expect(info).toContain('Version: 1.0');
    const log = uploads.find((upload) => upload.kind === 'log')?.content.toString('utf8') ?? '';
    expect(log).toContain('dpkg-buildpackage -b -uc -us');
    expect(log).not.toContain('must-not-leak');
    expect(existsSync(jobDirectory(workDir, request))).toBe(false);
  });

  it('fails a broken package as a package failure, with the reason from the log, and keeps its log', async () => {
    const tree = makeDebianTree({ root: scratch, package: `broken-${id}`, rules: 'broken' });
    const request = job({ package: tree.package, source: { method: 'git', url: gitCommitAll(tree.dir), ref: 'main' } });

    const outcome = await build(request);

    expect(outcome).toMatchObject({ result: 'failed', failureClass: 'package', code: 'build_failed' });
    expect(outcome.result === 'failed' && outcome.message).toContain('this package is broken on purpose');
    expect(outcome.artifacts.map((artifact) => artifact.kind)).toEqual(['log']);
    expect(uploadsOf(request.jobId)[0]?.content.toString('utf8')).toContain('this package is broken on purpose');
    expect(existsSync(path.join(jobDirectory(workDir, request), 'build.log'))).toBe(true);
  });

  it('fails a ref that does not exist as a package failure without building', async () => {
    const tree = makeDebianTree({ root: scratch, package: `noref-${id}` });
    const request = job({ package: tree.package, source: { method: 'git', url: gitCommitAll(tree.dir), ref: 'no-such-branch' } });

    const outcome = await build(request);

    expect(outcome).toMatchObject({ result: 'failed', failureClass: 'package', code: 'source_unavailable' });
    expect(outcome.result === 'failed' && outcome.message).toContain('no-such-branch');
  });

  it('stops a running build within seconds when cancelled, uploads the log so far and reports it cancelled', async () => {
    const tree = makeDebianTree({ root: scratch, package: `sleepy-${id}`, rules: 'sleeping' });
    const request = job({ package: tree.package, source: { method: 'git', url: gitCommitAll(tree.dir), ref: 'main' } });
    const controller = new AbortController();
    const logFile = path.join(jobDirectory(workDir, request), 'build.log');

    const running = build(request, { signal: controller.signal });
    await waitFor('the build to reach its sleep', () => existsSync(logFile) && readFileSync(logFile, 'utf8').includes('tsbit-test: sleeping'), {
      timeoutMs: 30_000,
    });
    controller.abort('cancelled');
    const outcome = await running;

    expect(outcome.result).toBe('cancelled');
    expect(uploadsOf(request.jobId).map((upload) => upload.kind)).toEqual(['log']);
    expect(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })).not.toMatch(/^sleep 300$/m);
  });

  it('ends a build that outlives TSBIT_BUILD_TIMEOUT_S as an infrastructure failure', async () => {
    const tree = makeDebianTree({ root: scratch, package: `slow-${id}`, rules: 'sleeping' });
    const request = job({ package: tree.package, source: { method: 'git', url: gitCommitAll(tree.dir), ref: 'main' } });

    const outcome = await build(request, { buildTimeoutMs: 3000 });

    expect(outcome).toMatchObject({ result: 'failed', failureClass: 'infrastructure', code: 'timeout' });
  });

  it('exports an svn repository and records its revision; an Architecture: all package on a non-master arch fails, saying where it is built', async () => {
    const tree = makeDebianTree({ root: scratch, package: `svn-${id}` });
    const url = svnImport(tree.dir, scratch);
    const master = await build(job({ package: tree.package, source: { method: 'svn', url, ref: '' } }));
    expect(master).toMatchObject({ result: 'succeeded', inputs: { sourceRevision: '1', sourceTreeSha256: expect.stringMatching(/^[0-9a-f]{64}$/) } });

    const request = job({ package: tree.package, buildArchIndep: false, source: { method: 'svn', url, ref: '1' } });
    const outcome = await build(request);

    expect(outcome).toMatchObject({ result: 'failed', failureClass: 'package', code: 'arch_all_only' });
    expect(outcome.result === 'failed' && outcome.message).toContain("built on the suite's master architecture");
    expect(outcome.artifacts.map((artifact) => artifact.kind)).toEqual(['log']);
    expect(uploadsOf(request.jobId)[0]?.content.toString('utf8')).toContain('svn export');
  });

  it('refuses a .deb labelled for another arch, naming file and arch, and uploads nothing but the log', async () => {
    const tree = makeDebianTree({ root: scratch, package: `mislabelled-${id}`, rules: 'mislabelled' });
    const request = job({ package: tree.package, source: { method: 'git', url: gitCommitAll(tree.dir), ref: 'main' } });

    const outcome = await build(request);

    expect(outcome).toMatchObject({ result: 'failed', failureClass: 'package', code: 'wrong_architecture' });
    expect(outcome.result === 'failed' && outcome.message).toContain(`${tree.package}_1.0_arm64.deb is arm64`);
    expect(uploadsOf(request.jobId).map((upload) => upload.kind)).toEqual(['log']);
  });

  it('fails a job for another arch on the native back end as the builder\'s shortcoming', async () => {
    const tree = makeDebianTree({ root: scratch, package: `foreign-${id}` });
    const outcome = await build(job({ package: tree.package, arch: 'arm64', buildArchIndep: false, source: { method: 'git', url: gitCommitAll(tree.dir), ref: 'main' } }));
    expect(outcome).toMatchObject({ result: 'failed', failureClass: 'infrastructure', code: 'arch_unsupported' });
  });

  it('fails an sbuild build as the builder\'s fault when it runs as root, with the fix', async () => {
    const tree = makeDebianTree({ root: scratch, package: `asroot-${id}` });
    const request = job({ package: tree.package, source: { method: 'git', url: gitCommitAll(tree.dir), ref: 'main' } });
    const outcome = await build(request, { backend: 'sbuild', chrootDir: path.join(scratch, 'no-chroots') });
    // Tests run as root; as anyone else the probe would find no chroot in an empty dir.
    const expected = process.getuid?.() === 0 ? 'running_as_root' : 'chroot_missing';
    expect(outcome).toMatchObject({ result: 'failed', failureClass: 'infrastructure', code: expected });
    expect(outcome.result === 'failed' && outcome.message).toContain('fix:');
  });

  it('downloads and unpacks a .dsc (dget, dpkg-source -x), and records the sha256 of the .dsc and its files', async () => {
    const parent = mkdtempSync(path.join(scratch, 'dsc-'));
    const tree = makeDebianTree({ package: `dsc-${id}`, dir: path.join(parent, `dsc-${id}`) });
    const request = job({ package: tree.package, source: { method: 'dsc', url: makeDsc(tree), ref: '' } });

    const outcome = await build(request);

    expect(outcome).toMatchObject({ result: 'succeeded' });
    const sha256 = (name: string): string => createHash('sha256').update(readFileSync(path.join(parent, name))).digest('hex');
    const names = [`dsc-${id}_1.0.dsc`, `dsc-${id}_1.0.tar.xz`];
    expect(outcome.result === 'succeeded' && outcome.inputs.sourceFiles).toEqual(
      names.map((name) => ({ name, sha256: sha256(name), size: String(readFileSync(path.join(parent, name)).length) })),
    );
    expect(uploadsOf(request.jobId).find((upload) => upload.kind === 'log')?.content.toString('utf8')).toContain(`dpkg-source: info: extracting dsc-${id} in`);
  });

  it('builds an rpm with rpmbuild from a spec whose Source0 is made from the tree', async () => {
    const tree = makeRpmTree({ root: scratch, package: `tiny-${id}` });
    const request = job({ package: tree.package, format: 'rpm', source: { method: 'git', url: gitCommitAll(tree.dir), ref: 'main' } });

    const outcome = await build(request);

    expect(outcome).toMatchObject({ result: 'succeeded' });
    expect(outcome.artifacts.map((artifact) => artifact.name).sort()).toEqual([
      'build.log',
      `tiny-${id}-1.0-1.noarch.rpm`,
      `tiny-${id}-1.0-1.src.rpm`,
    ]);
    expect(outcome.artifacts.filter((artifact) => artifact.kind === 'rpm')).toHaveLength(2);
  });

  it('reports an infrastructure failure when the built packages cannot be uploaded', async () => {
    const tree = makeDebianTree({ root: scratch, package: `noupload-${id}` });
    const request = job({ package: tree.package, source: { method: 'git', url: gitCommitAll(tree.dir), ref: 'main' } });
    api.failUploadsWith = 503;
    try {
      const outcome = await build(request);
      expect(outcome).toMatchObject({ result: 'failed', failureClass: 'infrastructure', code: 'upload_failed' });
    } finally {
      api.failUploadsWith = undefined;
    }
  });
});
