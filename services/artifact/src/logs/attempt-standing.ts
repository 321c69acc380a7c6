import { deserializeEvent, jobDecider, jobStreamId, type JobEvent } from '@tsbit/domain';
import type { EventLog } from '@tsbit/event-log';
import { attemptEndings } from '../upload-scope';

/** Whether an attempt of a job may still write to its log, from the job's stream. */
export type AttemptStanding = { live: true } | { live: false; why: string };

/**
 * For followers of a log that is not complete: an attempt is over once it ended (succeeded,
 * failed, cancelled, its lease expired) or a later attempt replaced it; nothing more will be
 * appended then. A queued attempt whose BuildStarted is not recorded yet is not over; one that
 * was never queued does not exist.
 */
export async function attemptStanding(log: EventLog, target: { jobId: number; attempt: number }): Promise<AttemptStanding> {
  const events = (await log.readStream(jobStreamId(target.jobId))).map((recorded) => deserializeEvent(recorded.type, recorded.data) as JobEvent);
  const state = events.reduce(jobDecider.evolve, jobDecider.initialState());
  if (state.status === 'Initial') return { live: false, why: `there is no job ${target.jobId}` };
  if (state.status === 'Deleted') return { live: false, why: `job ${target.jobId} was deleted` };
  if (target.attempt > state.attempt) return { live: false, why: `job ${target.jobId} has no attempt ${target.attempt} (attempt ${state.attempt} is the latest)` };
  const ended = attemptEndings(events).get(target.attempt);
  if (ended) return { live: false, why: `${ended}, without completing its log` };
  if (target.attempt < state.attempt) return { live: false, why: `attempt ${target.attempt} is over: attempt ${state.attempt} of job ${target.jobId} is current` };
  return { live: true };
}
