import { ApiProblem, type JobSummary } from './api-client';

/** `watch` and `submit --wait` ask for each unfinished job this often: the farm reports no faster than its read models. */
export const POLL_INTERVAL_MS = 1000;
/**
 * Read models lag the log by a moment, so a job just submitted may answer 404 for a poll or two;
 * a job still missing after this long does not exist.
 */
export const NOT_YET_PROJECTED_MS = 10_000;

const FINISHED = new Set(['Done', 'Failed', 'Cancelled']);

export const isFinished = (job: Pick<JobSummary, 'status'>): boolean => FINISHED.has(job.status);

/** Whether a follower should print `current`: a new status, attempt or reason (a place in the queue moves too). */
export const hasChanged = (previous: JobSummary, current: JobSummary): boolean =>
  previous.status !== current.status || previous.attempt !== current.attempt || previous.reason?.message !== current.reason?.message;

/** Success means every job built: a cancelled or failed one is not what the caller waited for. */
export const exitCodeOf = (jobs: readonly JobSummary[]): number => (jobs.every((job) => job.status === 'Done') ? 0 : 1);

export interface FollowDependencies {
  fetchJob(id: number): Promise<JobSummary>;
  sleep(ms: number): Promise<void>;
  now(): number;
  /** Called with each job's state at the start, then with every change. */
  onChange(job: JobSummary): void;
}

/** Polls each unfinished job until all are finished; answers them as they finished. */
export async function followJobs(start: readonly JobSummary[], { fetchJob, sleep, now, onChange }: FollowDependencies): Promise<JobSummary[]> {
  const jobs = [...start];
  const startedAt = now();
  jobs.forEach(onChange);
  while (!jobs.every(isFinished)) {
    await sleep(POLL_INTERVAL_MS);
    for (const [index, previous] of jobs.entries()) {
      if (isFinished(previous)) continue;
      const current = await fetchJob(previous.id).catch((error: unknown) => {
        if (error instanceof ApiProblem && error.status === 404 && now() - startedAt < NOT_YET_PROJECTED_MS) return previous;
        throw error;
      });
      if (hasChanged(previous, current)) onChange(current);
      jobs[index] = current;
    }
  }
  return jobs;
}
