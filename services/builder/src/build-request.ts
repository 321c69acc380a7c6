import { canonicalMessage } from '@tsbit/contracts';
import type { Source, SourceMethod } from '@tsbit/domain';
import { invalidSource } from './failure';

/** A BuildRequest as the builder works with it (canonical JSON, every field present). */
export interface BuildJob {
  jobId: number;
  attempt: number;
  package: string;
  version: string;
  suite: string;
  dist: string;
  arch: string;
  format: string;
  env: string;
  source: Source;
  buildArchIndep: boolean;
  queuedAt: string;
  /** Keyrings the .dsc of a dsc or apt source must be signed by (the suite's setting). */
  keyrings: string[];
  /** The suite checks no .dsc signature: an admin's explicit choice. */
  skipSignatureCheck: boolean;
  /** Run lintian after a successful deb build (a step that never fails the build). */
  runLintian: boolean;
  /** A rebuild check names the builder that built its original, which must not build it ('' or absent: any). */
  avoidBuilder?: string;
}

const sourceMethods: readonly SourceMethod[] = ['git', 'svn', 'apt', 'dsc'];

/** The message is not a BuildRequest the builder can act on: dead-letter it with this reason. */
export class MalformedRequest extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedRequest';
  }
}

/** Checks a message from a build queue against the contract; without a job and attempt it is unusable. */
export function parseBuildRequest(body: unknown): BuildJob {
  let data: Record<string, unknown>;
  try {
    data = canonicalMessage('BuildRequest', body, 'read') as Record<string, unknown>;
  } catch (error) {
    throw new MalformedRequest((error as Error).message);
  }
  const source = (data.source ?? {}) as Partial<Record<keyof Source, string>>;
  const job: BuildJob = {
    jobId: data.jobId as number,
    attempt: data.attempt as number,
    package: data.package as string,
    version: data.version as string,
    suite: data.suite as string,
    dist: data.dist as string,
    arch: data.arch as string,
    format: data.format as string,
    env: data.env as string,
    source: { method: (source.method ?? '') as SourceMethod, url: source.url ?? '', ref: source.ref ?? '' },
    buildArchIndep: data.buildArchIndep as boolean,
    queuedAt: (data.queuedAt as string | undefined) ?? '',
    keyrings: (data.keyrings as string[] | undefined) ?? [],
    skipSignatureCheck: (data.skipSignatureCheck as boolean | undefined) ?? false,
    runLintian: (data.runLintian as boolean | undefined) ?? false,
    avoidBuilder: (data.avoidBuilder as string | undefined) ?? '',
  };
  if (!(job.jobId > 0)) throw new MalformedRequest('BuildRequest.jobId: must be a positive integer');
  if (!(job.attempt > 0)) throw new MalformedRequest('BuildRequest.attempt: must be a positive integer');
  return job;
}

/**
 * What a build needs beyond the contract. A request that fails here still names its job, so it
 * is reported as a failed build (the job ends with the reason) rather than dead-lettered, which
 * would leave the job waiting forever.
 */
export function checkBuildJob(job: BuildJob): void {
  for (const field of ['package', 'suite', 'arch', 'format'] as const) {
    if (job[field] === '') throw invalidSource(`BuildRequest.${field}: must not be empty`);
  }
  if (!sourceMethods.includes(job.source.method)) {
    throw invalidSource(`BuildRequest.source.method: "${job.source.method}" is not one of ${sourceMethods.join(', ')}`);
  }
}
