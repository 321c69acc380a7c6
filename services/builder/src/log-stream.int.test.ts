import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { waitFor } from '@tsbit/service-kit';
import { createApiClient } from './api-client';
import type { BuildJob } from './build-request';
import { jobDirectory, runBuild, type BuildOutcome, type BuildRunOptions } from './build-runner';
import { startTestApi, type TestApi } from './testing/fake-api';
import { testJob } from './testing/step-context';
import { gitCommitAll, makeDebianTree } from './testing/fixtures';

const logger = pino({ level: 'silent' });
const LOG_LIMIT_BYTES = 256 * 1024;
/** Real builds: a few seconds each, more on a busy machine. */
jest.setTimeout(120_000);

describe('the live build log, with real builds', () => {
  const id = randomBytes(3).toString('hex');
  const scratch = mkdtempSync(path.join(tmpdir(), 'tsbit-live-log-test-'));
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

  /** A package whose build runs `commands` (make recipe lines) in dh_auto_build. */
  const packageRunning = (name: string, commands: string[]): BuildJob => {
    const tree = makeDebianTree({ root: scratch, package: `${name}-${id}` });
    const rules = path.join(tree.dir, 'debian', 'rules');
    writeFileSync(rules, `#!/usr/bin/make -f\n%:\n\tdh $@\n\noverride_dh_auto_build:\n${commands.map((command) => `\t${command}\n`).join('')}`);
    chmodSync(rules, 0o755);
    return testJob({
      jobId: 1000 + ++jobIds,
      package: tree.package,
      skipSignatureCheck: true,
      source: { method: 'git', url: gitCommitAll(tree.dir), ref: 'main' },
    });
  };

  const build = (job: BuildJob, options: Partial<BuildRunOptions> = {}): Promise<BuildOutcome> =>
    runBuild({
      job,
      builderName: 'test-builder',
      workDir,
      backend: 'native',
      keepFailed: true,
      buildTimeoutMs: 120_000,
      cancelGraceMs: 1000,
      api: createApiClient({ baseUrl: api.url, token: api.token, uploadAttempts: 2, uploadBackoffMs: 10 }),
      logger,
      signal: new AbortController().signal,
      logLimitBytes: LOG_LIMIT_BYTES,
      ...options,
    });
  const liveLog = (job: BuildJob) => api.liveLogs.get(`${job.jobId}/${job.attempt}`);
  const liveText = (job: BuildJob): string => liveLog(job)?.content.toString('utf8') ?? '';

  it('streams the log while the build runs, and completes it at the end as the attempt\'s log artifact', async () => {
    const gate = path.join(scratch, `gate-${id}`);
    const job = packageRunning('gated', ['echo "tsbit-test: before the gate"', `while [ ! -e ${gate} ]; do sleep 0.05; done`, 'echo "tsbit-test: after the gate"']);
    let settled = false;
    const running = build(job).finally(() => {
      settled = true;
    });

    // The line reaches the artifact service while the build still waits for the gate.
    await waitFor('the first line on the artifact service', () => liveText(job).includes('\ntsbit-test: before the gate\n'), { timeoutMs: 60_000 });
    expect(settled).toBe(false);
    expect(liveLog(job)?.complete).toBe(false);
    writeFileSync(gate, '');
    const outcome = await running;

    expect(outcome).toMatchObject({ result: 'succeeded' });
    const copy = liveLog(job);
    expect(copy?.complete).toBe(true);
    expect(copy?.content.toString('utf8')).toContain('tsbit-test: after the gate');
    expect(copy?.content.toString('utf8')).toMatch(/\[tsbit\] succeeded after \d+ s\n$/);
    // Appended piece by piece, each where the one before ended.
    let expected = 0;
    for (const append of copy?.appends ?? []) {
      expect(append.offset).toBe(expected);
      expected += append.length;
    }
    expect(copy?.appends.length).toBeGreaterThan(1);
    // Recorded once, as the log artifact of the attempt, not uploaded a second time.
    const logs = api.uploads.filter((upload) => upload.jobId === job.jobId && upload.kind === 'log');
    expect(logs).toHaveLength(1);
    const reported = outcome.artifacts.find((artifact) => artifact.kind === 'log');
    expect(reported).toEqual({ name: 'build.log', kind: 'log', sha256: logs[0]?.sha256, size: String(copy?.content.length) });
  });

  it('goes on from the offset the artifact service names when it lost what it had', async () => {
    const gate = path.join(scratch, `gate-lost-${id}`);
    const job = packageRunning('relost', ['echo "tsbit-test: before the gate"', `while [ ! -e ${gate} ]; do sleep 0.05; done`, 'echo "tsbit-test: after the gate"']);
    const running = build(job);
    await waitFor('the first line on the artifact service', () => liveText(job).includes('tsbit-test: before the gate'), { timeoutMs: 60_000 });
    // As a service restored from an older copy: it has less than the builder sent.
    const copy = liveLog(job);
    if (copy) copy.content = copy.content.subarray(0, 10);
    writeFileSync(gate, '');
    const outcome = await running;

    expect(outcome).toMatchObject({ result: 'succeeded' });
    expect(liveLog(job)?.complete).toBe(true);
    const log = api.uploads.find((upload) => upload.jobId === job.jobId && upload.kind === 'log');
    expect(log?.content.toString('utf8')).toContain('tsbit-test: before the gate\n');
    expect(log?.content.toString('utf8')).toContain('tsbit-test: after the gate\n');
  });

  it('stops a build whose log passes its limit: log_too_large, its processes gone, its log cut and kept', async () => {
    const job = packageRunning('chatty', ['while true; do echo "tsbit-test: far too much output, again and again"; done']);

    const outcome = await build(job);

    expect(outcome).toMatchObject({ result: 'failed', failureClass: 'package', code: 'log_too_large' });
    expect(outcome.result === 'failed' && outcome.message).toContain(`limit of ${LOG_LIMIT_BYTES} bytes (TSBIT_LOG_LIMIT_BYTES)`);
    const copy = liveLog(job);
    expect(copy?.complete).toBe(true);
    expect(copy?.content.length).toBeLessThanOrEqual(LOG_LIMIT_BYTES);
    expect(copy?.content.toString('utf8')).toContain('and its log cut here');
    expect(outcome.artifacts.map((artifact) => artifact.kind)).toEqual(['log']);
    expect(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })).not.toContain('far too much output');
    expect(readFileSync(path.join(jobDirectory(workDir, job), 'build.log')).length).toBe(copy?.content.length);
  });

  it('ends the build the same way when the artifact service refuses the log as too large, and uploads it whole', async () => {
    const job = packageRunning('toolarge', ['while true; do echo "tsbit-test: more than the service takes"; done']);
    api.logLimitBytes = 64 * 1024;
    try {
      const outcome = await build(job);
      expect(outcome).toMatchObject({ result: 'failed', failureClass: 'package', code: 'log_too_large' });
      expect(liveLog(job)?.complete).toBe(false);
      const uploaded = api.uploads.find((upload) => upload.jobId === job.jobId && upload.kind === 'log');
      expect(uploaded?.content.toString('utf8')).toContain('passed its limit');
    } finally {
      api.logLimitBytes = undefined;
    }
  });

  it('uploads the log whole when the live log is refused', async () => {
    const job = packageRunning('refused', ['echo "tsbit-test: refused live"']);
    api.failLogAppendsWith = 403;
    try {
      const outcome = await build(job);
      expect(outcome).toMatchObject({ result: 'succeeded' });
      const uploaded = api.uploads.filter((upload) => upload.jobId === job.jobId && upload.kind === 'log');
      expect(uploaded).toHaveLength(1);
      expect(uploaded[0]?.content.toString('utf8')).toContain('tsbit-test: refused live');
    } finally {
      api.failLogAppendsWith = undefined;
    }
  });
});
