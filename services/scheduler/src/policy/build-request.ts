import type { SubmittedJob, SuiteBuildSettings } from '@tsbit/domain';

/** Build queues order by AMQP priority 0..10; job priorities run -10..10 around 0. */
const BUILD_PRIORITY_OFFSET = 5;
const MIN_BUILD_PRIORITY = 0;
const MAX_BUILD_PRIORITY = 10;

/** The AMQP priority of a job's BuildRequest: its priority moved onto the build queues' range. */
export function buildPriority(priority: number): number {
  return Math.min(MAX_BUILD_PRIORITY, Math.max(MIN_BUILD_PRIORITY, Math.round(priority) + BUILD_PRIORITY_OFFSET));
}

/** One id per attempt: a BuildRequest sent again after a restart or a failed publish carries the same. */
export const buildRequestId = (jobId: number, attempt: number): string => `job-${jobId}:${attempt}`;

export const cancelMessageId = (jobId: number, attempt: number): string => `cancel-job-${jobId}:${attempt}`;

/**
 * The fields of tsbit.messages.v1.BuildRequest for one attempt of a job. The suite's settings
 * (keyrings, lintian) are those of the catalogue when the attempt is dispatched.
 */
export function buildRequestFor(job: SubmittedJob, attempt: number, queuedAt: string, settings: SuiteBuildSettings) {
  const { jobId, package: name, version, suite, dist, arch, format, env, source, buildArchIndep } = job;
  const { keyrings, skipSignatureCheck, runLintian } = settings;
  // A rebuild check names the builder of its original, which hands the request back to the queue.
  const avoidBuilder = job.avoidBuilder ?? '';
  return { jobId, attempt, package: name, version, suite, dist, arch, format, env, source, buildArchIndep, queuedAt, keyrings, skipSignatureCheck, runLintian, avoidBuilder };
}
