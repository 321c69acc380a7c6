import type { FailureClass, JobSubmitted, JobStatus, Reason } from '../events';

export type SubmittedJob = JobSubmitted['data'];

interface Known {
  job: SubmittedJob;
  /** The attempt in play: 0 until first queued, then 1, 2, ... */
  attempt: number;
  /** Whether the current attempt has been put on the build queue. */
  queued: boolean;
  /** Automatic retries after infrastructure failures and lost builders since the last manual retry. */
  infrastructureRetries: number;
  /** Attempts in a row that found build dependencies not installable yet (not limited). */
  dependencyWaits: number;
  reason: Reason | null;
}

/** A job's state, tagged by where it is in its life. */
export type JobState =
  | { status: 'Initial' }
  | (Known & { status: 'Waiting' })
  | (Known & { status: 'Blocked' })
  | (Known & { status: 'Building'; builder: string })
  | (Known & { status: 'Cancelling'; builder: string })
  | (Known & { status: 'Done'; builder: string })
  | (Known & { status: 'Failed'; builder: string; failureClass: FailureClass })
  | (Known & { status: 'Cancelled' })
  | (Known & { status: 'Deleted'; previous: JobStatus });

export type KnownJobState = Exclude<JobState, { status: 'Initial' }>;

/** The status the API shows: pyBit's names. */
export function jobStatusOf(state: JobState): JobStatus | undefined {
  switch (state.status) {
    case 'Initial':
      return undefined;
    case 'Deleted':
      return state.previous;
    default:
      return state.status;
  }
}

export const unfinishedStatuses: readonly JobStatus[] = ['Waiting', 'Blocked', 'Building', 'Cancelling'];
export const isUnfinished = (status: JobStatus): boolean => unfinishedStatuses.includes(status);
