import { isUnfinished, jobStatusOf, type JobState, type JobStatus } from '@tsbit/domain';

/**
 * A dependency's status as `judgeDependencies` needs it. A job deleted before it finished will
 * never build, so it counts as missing (its dependants are cancelled); a deleted finished job
 * keeps the status it finished with.
 */
export function dependencyStatus(state: JobState): JobStatus | undefined {
  if (state.status === 'Initial') return undefined;
  if (state.status === 'Deleted') return isUnfinished(state.previous) ? undefined : state.previous;
  return jobStatusOf(state);
}

/** What the scheduler remembers of a job to judge a builder's claim that it runs it. */
export interface RunningView {
  status: JobState['status'];
  attempt: number;
  queued: boolean;
  builder: string | undefined;
  reasonCode: string | undefined;
}

export function runningViewOf(state: JobState): RunningView | undefined {
  if (state.status === 'Initial') return undefined;
  return {
    status: state.status,
    attempt: state.attempt,
    queued: state.queued,
    builder: 'builder' in state ? state.builder : undefined,
    reasonCode: state.reason?.code,
  };
}

/**
 * Whether a builder that says (in a heartbeat) it runs `attempt` of a job should be told to stop:
 * the attempt was voided (its lease expired, a newer one is current, another builder holds it)
 * or the job is being cancelled. A build that has just finished is left alone: its final
 * report and the heartbeat cross.
 */
export function shouldStopRunning(view: RunningView | undefined, builder: string, attempt: number): boolean {
  if (!view) return false;
  if (view.attempt > attempt) return true;
  if (view.attempt < attempt) return false;
  switch (view.status) {
    case 'Cancelling':
    case 'Cancelled':
      return true;
    case 'Building':
      return view.builder !== builder;
    case 'Waiting':
      return !view.queued && view.reasonCode === 'lease_expired';
    default:
      return false;
  }
}
