import { compareDebianVersions } from '../debian-version';

export interface UnfinishedJob {
  jobId: number;
  package: string;
  version: string;
  dist: string;
  suite: string;
  arch: string;
  env: string;
}

/**
 * pyBit's superseding: a new submission cancels the unfinished jobs of the same package for the
 * same dist, suite, architecture and build environment whose version is not newer than its own.
 */
export function supersededBy(unfinished: readonly UnfinishedJob[], submitted: UnfinishedJob): number[] {
  return unfinished
    .filter(
      (job) =>
        job.jobId !== submitted.jobId &&
        job.package === submitted.package &&
        job.dist === submitted.dist &&
        job.suite === submitted.suite &&
        job.arch === submitted.arch &&
        job.env === submitted.env &&
        compareDebianVersions(job.version, submitted.version) <= 0,
    )
    .map((job) => job.jobId);
}
