import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { BuildJob } from '../build-request';
import { buildEnvironment } from '../build-runner';
import { runProcess } from '../process';
import type { StepContext } from '../step';

/** A job as a BuildRequest carries it, for tests of one step. */
export function testJob(overrides: Partial<BuildJob> & Pick<BuildJob, 'package' | 'source'>): BuildJob {
  return {
    jobId: 1,
    attempt: 1,
    version: '1.0',
    suite: 'bookworm',
    dist: 'debian',
    arch: 'amd64',
    format: 'deb',
    env: '',
    buildArchIndep: true,
    queuedAt: new Date().toISOString(),
    keyrings: [],
    skipSignatureCheck: false,
    runLintian: false,
    ...overrides,
  };
}

/**
 * One step's context as runBuild makes it, without the rest of a build: real processes, their
 * output in `<jobDir>/build.log`. `close()` closes the log and returns it.
 */
export function testStepContext(job: BuildJob, jobDir: string): StepContext & { close(): string } {
  mkdirSync(jobDir, { recursive: true });
  const logPath = path.join(jobDir, 'build.log');
  const logFd = openSync(logPath, 'a');
  const env = buildEnvironment(process.env);
  const ctx: StepContext & { close(): string } = {
    job,
    jobDir,
    srcDir: path.join(jobDir, 'src'),
    log: (line) => void writeSync(logFd, `[tsbit] ${line}\n`),
    logTail: async () => readFileSync(logPath, 'utf8'),
    async exec(command, options = {}) {
      return runProcess(command, {
        cwd: options.cwd ?? ctx.srcDir,
        env: { ...env, ...options.env },
        logFd,
        captureStdout: options.captureStdout ?? false,
        graceMs: 1000,
      });
    },
    close() {
      closeSync(logFd);
      return readFileSync(logPath, 'utf8');
    },
  };
  return ctx;
}
