import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { createApiClient } from '../api-client';
import { runBuild } from '../build-runner';
import { startTestApi, type TestApi } from '../testing/fake-api';
import { gitCommitAll, makeDebianTree } from '../testing/fixtures';
import { testJob } from '../testing/step-context';

const BUILD_TEST_TIMEOUT_MS = 120_000;

describe('lintian after a deb build: a recorded step of its own that never fails the build', () => {
  const id = randomBytes(3).toString('hex');
  const scratch = mkdtempSync(path.join(tmpdir(), 'tsbit-lintian-test-'));
  let api: TestApi;
  let jobs = 0;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  const build = (runLintian: boolean) => {
    const tree = makeDebianTree({ root: scratch, package: `lint-${id}-${++jobs}` });
    const job = testJob({ jobId: jobs, package: tree.package, source: { method: 'git', url: gitCommitAll(tree.dir), ref: 'main' }, runLintian });
    return runBuild({
      job,
      builderName: 'test-builder',
      workDir: path.join(scratch, 'work'),
      backend: 'native',
      keepFailed: true,
      buildTimeoutMs: BUILD_TEST_TIMEOUT_MS,
      cancelGraceMs: 1000,
      api: createApiClient({ baseUrl: api.url, token: api.token, uploadAttempts: 2, uploadBackoffMs: 10 }),
      logger: pino({ level: 'silent' }),
      signal: new AbortController().signal,
    }).then((outcome) => ({ outcome, job }));
  };

  it(
    "records lintian's errors and warnings, uploads its output as lintian.log, and the build, whose package lintian finds errors in, still succeeds",
    async () => {
      const { outcome, job } = await build(true);

      expect(outcome.result).toBe('succeeded');
      if (outcome.result !== 'succeeded') return;
      // The test package has no debian/copyright: lintian's no-copyright-file is an error.
      expect(outcome.inputs.lintian).toMatchObject({ status: 'errors', log: 'lintian.log', lintianVersion: expect.stringMatching(/^Lintian v\d/) });
      expect(outcome.inputs.lintian?.errors).toBeGreaterThan(0);
      expect(outcome.artifacts).toContainEqual(expect.objectContaining({ name: 'lintian.log', kind: 'other' }));
      const uploads = api.uploads.filter((upload) => upload.jobId === job.jobId);
      const lintianLog = uploads.find((upload) => upload.name === 'lintian.log')?.content.toString('utf8') ?? '';
      expect(lintianLog).toContain(`E: ${job.package}: no-copyright-file`);
      const buildLog = uploads.find((upload) => upload.kind === 'log')?.content.toString('utf8') ?? '';
      expect(buildLog).toMatch(/lintian: errors, [1-9]\d* errors, \d+ warnings/);
    },
    BUILD_TEST_TIMEOUT_MS,
  );

  it(
    'does not run where the suite turned it off',
    async () => {
      const { outcome, job } = await build(false);
      expect(outcome.result).toBe('succeeded');
      expect(outcome.result === 'succeeded' && outcome.inputs.lintian).toBeUndefined();
      expect(api.uploads.filter((upload) => upload.jobId === job.jobId).map((upload) => upload.name)).not.toContain('lintian.log');
    },
    BUILD_TEST_TIMEOUT_MS,
  );
});
