import { compareDebianVersions } from '../debian-version';

export interface UnfinishedJob {
  jobId: number;
  package: string;
  version: string;
  dist: string;
  suite: string;
  arch: string;
  env: string;
  /** Set on a rebuild check (the job it builds again); null, 0 or absent otherwise. */
  rebuildOf?: number | null;
}

const isRebuildCheck = (job: UnfinishedJob): boolean => (job.rebuildOf ?? 0) > 0;

/**
 * pyBit's superseding: a new submission cancels the unfinished jobs of the same package for the
 * same dist, suite, architecture and build environment whose version is not newer than its own.
 * A rebuild check builds an older job's inputs again to compare the binaries: it replaces nothing,
 * so it supersedes no job and no job supersedes it.
 */
export function supersededBy(unfinished: readonly UnfinishedJob[], submitted: UnfinishedJob): number[] {
  if (isRebuildCheck(submitted)) return [];
  return unfinished
    .filter(
      (job) =>
        !isRebuildCheck(job) &&
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
