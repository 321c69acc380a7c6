import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { mkdir, open, rm, statfs } from 'node:fs/promises';
import path from 'node:path';
import type { Artifact, BuildInputs, FailureClass } from '@tsbit/domain';
import type { Logger } from '@tsbit/service-kit';
import { ApiRejected, type ApiClient } from './api-client';
import { describeArtifact, findArchitectureMismatches, wrongArchitecture, type LocalArtifact } from './artifacts';
import { backendFor } from './backends';
import { runLintian } from './checks/lintian';
import { checkBuildJob, type BuildJob } from './build-request';
import { packageFormats, type BackendName, type PackageFormat } from './config';
import { BuildFailure, classifyFromLog, oneLine, summarizeLog, unmetBuildDependencies } from './failure';
import { DEFAULT_LOG_LIMIT_BYTES, LiveLog } from './log-stream';
import { hostArchitecture } from './host';
import { buildinfoName, recordSourceInputs } from './inputs';
import { runProcess, SpawnError, type StopReason } from './process';
import { sourceFetchers } from './sources';
import type { StepContext } from './step';

/** Below this much free space in the work dir a build is not started: it would fail half-way. */
const MIN_FREE_DISK_BYTES = 256 * 1024 * 1024;
/** How much of the end of the log is read to explain a failure. */
const LOG_TAIL_BYTES = 64 * 1024;
export const LOG_NAME = 'build.log';

export type BuildOutcome =
  | { result: 'succeeded'; artifacts: Artifact[]; inputs: BuildInputs }
  | { result: 'failed'; failureClass: FailureClass; code: string; message: string; artifacts: Artifact[] }
  | { result: 'cancelled'; artifacts: Artifact[] };

export interface BuildRunOptions {
  job: BuildJob;
  builderName: string;
  workDir: string;
  backend: BackendName;
  /** sbuild's chroot tarballs (TSBIT_CHROOT_DIR); defaults to ~/.cache/sbuild. */
  chrootDir?: string;
  /** The farm's repositories (`<TSBIT_API_URL>/repos`), added to sbuild builds when they serve the suite. */
  repositoryUrl?: string;
  /** APT sources for apt jobs instead of the host's (TSBIT_APT_SOURCES). */
  aptSources?: string;
  keepFailed: boolean;
  buildTimeoutMs: number;
  cancelGraceMs: number;
  api: ApiClient;
  logger: Logger;
  /** Aborted with 'cancelled' or 'shutdown' from outside. */
  signal: AbortSignal;
  /** The environment builds start from; TSBIT_* variables are removed from it. */
  env?: NodeJS.ProcessEnv;
  /** A build whose log passes this (TSBIT_LOG_LIMIT_BYTES) is stopped: `log_too_large`. */
  logLimitBytes?: number;
}

/** The build was stopped from outside or by its time-out. */
class Stopped extends Error {
  constructor(readonly reason: StopReason) {
    super(`build stopped: ${reason}`);
    this.name = 'Stopped';
  }
}

/** Each job attempt gets a directory of its own: a retry never sees a previous attempt's files. */
export function jobDirectory(workDir: string, job: Pick<BuildJob, 'jobId' | 'attempt'>): string {
  return path.join(workDir, `job-${job.jobId}-attempt-${job.attempt}`);
}

/**
 * The environment a build runs in. The package's own code runs during the build (debian/rules,
 * test suites), so nothing of the builder's configuration, and in particular not its API token,
 * is passed on. C.UTF-8 keeps tool messages in English, which the failure summary reads.
 */
export function buildEnvironment(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(base)) if (!key.startsWith('TSBIT_')) env[key] = value;
  return { ...env, LC_ALL: 'C.UTF-8' };
}

/**
 * One build from start to report: a fresh work dir, the source, the back end, the uploads. Never
 * throws: every way a build can end is a BuildOutcome, and the log is uploaded in all of them
 * (when the API can be reached), because a broken package must keep its log.
 */
export async function runBuild(options: BuildRunOptions): Promise<BuildOutcome> {
  const { job, logger } = options;
  const jobDir = jobDirectory(options.workDir, job);
  const logPath = path.join(jobDir, LOG_NAME);
  let logFd: number;
  try {
    await rm(jobDir, { recursive: true, force: true });
    await mkdir(jobDir, { recursive: true });
    logFd = openSync(logPath, 'a');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code === 'ENOSPC' ? 'disk_full' : 'workdir_unavailable';
    return failed('infrastructure', code, `cannot create the work dir ${jobDir}: ${(error as Error).message}`, []);
  }

  const controller = new AbortController();
  const stop = (reason: StopReason): void => {
    if (!controller.signal.aborted) controller.abort(reason);
  };
  const onOuterAbort = (): void => stop(options.signal.reason === 'shutdown' ? 'shutdown' : 'cancelled');
  if (options.signal.aborted) onOuterAbort();
  options.signal.addEventListener('abort', onOuterAbort, { once: true });
  const timer = setTimeout(() => stop('timeout'), options.buildTimeoutMs);
  // Streamed while the build writes it, so that it can be followed; also where its limit is watched.
  const liveLog = new LiveLog({
    api: options.api,
    target: { jobId: job.jobId, attempt: job.attempt },
    path: logPath,
    limitBytes: options.logLimitBytes ?? DEFAULT_LOG_LIMIT_BYTES,
    logger,
    onTooLarge: () => stop('log_too_large'),
  });
  liveLog.start();

  const log = (line: string): void => {
    try {
      writeSync(logFd, `[tsbit] ${line}\n`);
    } catch {
      // A full disk shows up in the build's own steps as well.
    }
  };
  const throwIfStopped = (): void => {
    if (controller.signal.aborted) throw new Stopped(controller.signal.reason as StopReason);
  };
  const env = buildEnvironment(options.env ?? process.env);
  const ctx: StepContext = {
    job,
    jobDir,
    srcDir: path.join(jobDir, 'src'),
    log,
    logTail: () => readTail(logPath),
    async exec(command, execOptions = {}) {
      throwIfStopped();
      try {
        const result = await runProcess(command, {
          cwd: execOptions.cwd ?? ctx.srcDir,
          env: { ...env, ...execOptions.env },
          logFd,
          captureStdout: execOptions.captureStdout ?? false,
          signal: controller.signal,
          graceMs: options.cancelGraceMs,
        });
        if (result.stopped) throw new Stopped(result.stopped);
        return result;
      } catch (error) {
        if (!(error instanceof SpawnError)) throw error;
        const missing = error.errorCode === 'ENOENT';
        throw new BuildFailure(
          'infrastructure',
          missing ? 'tool_missing' : 'spawn_failed',
          missing ? `${error.command} is not installed on this builder (or not on its PATH)` : error.message,
        );
      }
    },
  };

  const startedAt = Date.now();
  log(`builder ${options.builderName}: job ${job.jobId} attempt ${job.attempt}: ${job.package} ${job.version} for ${job.suite}/${job.arch} (${job.format})`);
  log(`source: ${job.source.method} ${job.source.url} ${job.source.ref}`);

  let outcome: BuildOutcome;
  let built: LocalArtifact[] = [];
  try {
    checkBuildJob(job);
    if (!packageFormats.includes(job.format as PackageFormat)) {
      throw new BuildFailure('package', 'unsupported_format', `format "${job.format}" is not one of ${packageFormats.join(', ')}`);
    }
    await checkFreeSpace(jobDir);
    await sourceFetchers[job.source.method](ctx, options.aptSources ? { aptSourcesFile: options.aptSources } : {});
    throwIfStopped();
    // Before the build, which changes the tree.
    const sourceInputs = await recordSourceInputs(ctx);
    const backend = backendFor(job.format as PackageFormat, {
      deb: options.backend,
      chrootDir: options.chrootDir ?? path.join(env.HOME ?? '/nonexistent', '.cache', 'sbuild'),
      ...(options.repositoryUrl ? { repositoryUrl: options.repositoryUrl } : {}),
    });
    const { files, inputs: backendInputs } = await backend.build(ctx);
    throwIfStopped();
    // Nothing mislabelled is ever uploaded: a wrong architecture fails the build before any upload.
    const mismatches = await findArchitectureMismatches(ctx, files, job.arch);
    if (mismatches.length > 0) throw wrongArchitecture(job, await hostArchitecture(), mismatches);
    built = await Promise.all(files.map((file) => describeArtifact(file)));
    for (const artifact of built) log(`built ${artifact.name} (${artifact.kind}, ${artifact.size} bytes, sha256 ${artifact.sha256})`);
    // A step of its own, after the build: it never fails it (a cancel or the time-out still stop it).
    const lintian = job.format === 'deb' && job.runLintian ? await runLintian(ctx, files) : undefined;
    if (lintian?.logFile) built.push(await describeArtifact(lintian.logFile, 'other'));
    const inputs: BuildInputs = { ...sourceInputs, ...backendInputs, buildinfo: buildinfoName(files), ...(lintian ? { lintian: lintian.result } : {}) };
    log(`inputs: ${JSON.stringify(inputs)}`);
    outcome = { result: 'succeeded', artifacts: [], inputs };
  } catch (error) {
    outcome = await outcomeOfError(error, logPath, job);
  } finally {
    clearTimeout(timer);
    options.signal.removeEventListener('abort', onOuterAbort);
  }
  outcome = await enforceLogLimit(outcome, liveLog, logFd, log);
  log(`${outcome.result}${outcome.result === 'failed' ? ` (${outcome.failureClass}: ${outcome.code})` : ''} after ${Math.round((Date.now() - startedAt) / 1000)} s`);
  closeSync(logFd);

  outcome = await upload(options, outcome, built, logPath, await liveLog.finish());
  if (outcome.result !== 'failed' || !options.keepFailed) {
    await rm(jobDir, { recursive: true, force: true }).catch((error: unknown) => logger.warn({ err: error, jobDir }, 'cannot remove the work dir'));
  }
  return outcome;
}

/**
 * A log over its limit is cut where the build's output had to stop, and says so; the build fails
 * with `log_too_large` (the package's fault: it prints too much), whether it was stopped for it
 * or passed the limit in its last moments.
 */
async function enforceLogLimit(outcome: BuildOutcome, liveLog: LiveLog, logFd: number, log: (line: string) => void): Promise<BuildOutcome> {
  const stoppedForIt = outcome.result === 'failed' && outcome.code === 'log_too_large';
  const over = await liveLog.overLimit().catch(() => false);
  if (!stoppedForIt && !over) return outcome;
  if (over) {
    try {
      ftruncateSync(logFd, liveLog.cutOffset);
      writeSync(logFd, '\n');
    } catch {
      // The upload of a log that could not be cut is refused: the message below still says why.
    }
  }
  const message = `the build log passed its limit of ${liveLog.limitBytes} bytes (TSBIT_LOG_LIMIT_BYTES): the build was stopped`;
  log(over ? `${message} and its log cut here` : message);
  return outcome.result === 'cancelled' ? outcome : failed('package', 'log_too_large', message, []);
}

function failed(failureClass: FailureClass, code: string, message: string, artifacts: Artifact[]): BuildOutcome {
  return { result: 'failed', failureClass, code, message: oneLine(message), artifacts };
}

async function checkFreeSpace(dir: string): Promise<void> {
  const stats = await statfs(dir);
  const free = stats.bavail * stats.bsize;
  if (free < MIN_FREE_DISK_BYTES) {
    throw new BuildFailure('infrastructure', 'disk_full', `only ${Math.round(free / 1024 / 1024)} MiB free in ${dir}`);
  }
}

async function outcomeOfError(error: unknown, logPath: string, job: BuildJob): Promise<BuildOutcome> {
  if (error instanceof Stopped) {
    if (error.reason === 'cancelled') return { result: 'cancelled', artifacts: [] };
    if (error.reason === 'timeout') return failed('infrastructure', 'timeout', 'the build ran out of time (TSBIT_BUILD_TIMEOUT_S)', []);
    if (error.reason === 'log_too_large') return failed('package', 'log_too_large', 'the build log passed its limit (TSBIT_LOG_LIMIT_BYTES)', []);
    return failed('infrastructure', 'builder_shutdown', 'the builder shut down during the build; it will run elsewhere', []);
  }
  if (error instanceof BuildFailure) {
    if (!error.fromLog) return failed(error.failureClass, error.code, error.message, []);
    const tail = await readTail(logPath);
    const fromLog = classifyFromLog(tail);
    const summary = summarizeLog(tail) ?? error.message;
    if (fromLog?.code !== 'dependency_wait') return failed(fromLog?.failureClass ?? error.failureClass, fromLog?.code ?? error.code, summary, []);
    // Named first, where a one-line message cannot cut them off: the farm releases the wait when it publishes one of them.
    const unmet = unmetBuildDependencies(tail);
    return failed(fromLog.failureClass, fromLog.code, unmet.length > 0 ? `Unmet build dependencies: ${unmet.join(' ')}; ${summary}` : summary, []);
  }
  const errno = (error as NodeJS.ErrnoException).code;
  if (errno === 'ENOSPC') return failed('infrastructure', 'disk_full', (error as Error).message, []);
  return failed('infrastructure', 'builder_error', `job ${job.jobId}: ${(error as Error).message}`, []);
}

async function readTail(file: string): Promise<string> {
  const handle = await open(file, 'r').catch(() => undefined);
  if (!handle) return '';
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, LOG_TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    return buffer.toString('utf8');
  } finally {
    await handle.close();
  }
}

/**
 * Uploads what the build made, then the log unless completing its live copy stored it already
 * (`storedLog`). A successful build whose packages cannot be
 * uploaded is an infrastructure failure (another builder may do better); a failure's verdict
 * stands even when its log cannot be uploaded, with that said in its message.
 */
async function upload(options: BuildRunOptions, outcome: BuildOutcome, built: LocalArtifact[], logPath: string, storedLog: Artifact | undefined): Promise<BuildOutcome> {
  const target = { jobId: options.job.jobId, attempt: options.job.attempt };
  const uploaded: Artifact[] = [];
  const send = async (artifact: LocalArtifact): Promise<void> => {
    await options.api.uploadArtifact(target, artifact);
    uploaded.push({ name: artifact.name, sha256: artifact.sha256, size: artifact.size, kind: artifact.kind });
  };
  try {
    // Side by side: each upload waits on the network and the artifact store, not on the others.
    // The log is stored already when its live copy was completed; otherwise it is uploaded whole.
    const files = [...(outcome.result === 'succeeded' ? built : []), ...(storedLog ? [] : [await describeArtifact(logPath, 'log')])];
    const results = await Promise.allSettled(files.map(send));
    const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failure) throw failure.reason;
    uploaded.sort((a, b) => files.findIndex((file) => file.name === a.name) - files.findIndex((file) => file.name === b.name));
    if (storedLog) uploaded.push(storedLog);
  } catch (error) {
    if (storedLog) uploaded.push(storedLog);
    options.logger.error({ err: error, jobId: target.jobId, attempt: target.attempt }, 'upload failed');
    const reason = error instanceof ApiRejected ? 'refused' : 'impossible';
    if (outcome.result === 'succeeded') {
      return failed('infrastructure', 'upload_failed', `upload ${reason}: ${(error as Error).message}`, uploaded);
    }
    if (outcome.result === 'failed') {
      return { ...outcome, message: oneLine(`${outcome.message} (log upload ${reason})`), artifacts: uploaded };
    }
    return { ...outcome, artifacts: uploaded };
  }
  return { ...outcome, artifacts: uploaded };
}
