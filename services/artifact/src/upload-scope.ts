import { deserializeEvent, jobDecider, jobStreamId, type ArtifactKind, type JobEvent, type JobState } from '@tsbit/domain';
import type { EventLog } from '@tsbit/event-log';
import { conflict, notFound } from '@tsbit/service-kit';

/**
 * How long an upload for an attempt that is queued but not yet recorded as started waits for its
 * BuildStarted. The builder reports Started over RabbitMQ and starts building at once; a build
 * that fails in its first milliseconds uploads its log before the scheduler has appended it.
 */
export const START_GRACE_MS = 10_000;
const START_POLL_MS = 50;

export interface UploadRequest {
  jobId: number;
  attempt: number;
  /** The builder the upload comes from. */
  builder: string;
  kind: ArtifactKind;
}

export type UploadVerdict =
  | { kind: 'accept' }
  /** The attempt is queued and its BuildStarted may not be in the log yet: look again shortly. */
  | { kind: 'not_started'; reason: string }
  | { kind: 'refuse'; status: 404 | 409; reason: string };

/** Why each attempt ended, from the job's events; an attempt that has not ended is absent. */
export function attemptEndings(events: JobEvent[]): Map<number, string> {
  const endings = new Map<number, string>();
  let current = 0;
  for (const event of events) {
    switch (event.type) {
      case 'JobQueued':
      case 'BuildStarted':
        current = event.data.attempt;
        break;
      case 'BuildSucceeded':
        endings.set(event.data.attempt, `attempt ${event.data.attempt} has succeeded and is over`);
        break;
      case 'BuildFailed':
        endings.set(event.data.attempt, `attempt ${event.data.attempt} has failed and is over`);
        break;
      case 'LeaseExpired':
        endings.set(event.data.attempt, `the lease of attempt ${event.data.attempt} expired (builder ${event.data.builder} stopped answering)`);
        break;
      case 'JobCancelled':
        if (current > 0 && !endings.has(current)) endings.set(current, `job ${event.data.jobId} was cancelled`);
        break;
      default:
        break;
    }
  }
  return endings;
}

/**
 * Whether a builder may upload a file for a job's attempt: only while it holds that attempt's
 * lease, that is while the job is Building that attempt on that builder. A job being cancelled
 * takes the log of its attempt (the builder uploads what it logged, then confirms the cancel),
 * never packages. The builder uploads before it reports the end of a build, so nothing of a
 * finished attempt is refused that was ever meant to be kept.
 */
export function judgeUpload(state: JobState, events: JobEvent[], upload: UploadRequest): UploadVerdict {
  const { jobId, attempt, builder } = upload;
  if (state.status === 'Initial') return { kind: 'refuse', status: 404, reason: `no job ${jobId}` };
  if (state.status === 'Deleted') return { kind: 'refuse', status: 409, reason: `job ${jobId} was deleted` };
  const ended = attemptEndings(events).get(attempt);
  if (attempt > state.attempt) return { kind: 'refuse', status: 409, reason: `attempt ${attempt} of job ${jobId} does not exist (attempt ${state.attempt} is the latest)` };
  if (attempt < state.attempt) return { kind: 'refuse', status: 409, reason: `${ended ?? `attempt ${attempt} is over`}; attempt ${state.attempt} of job ${jobId} is current` };
  if (ended) return { kind: 'refuse', status: 409, reason: `${ended}: job ${jobId} is ${state.status}` };
  switch (state.status) {
    case 'Building':
      if (state.builder !== builder) return { kind: 'refuse', status: 409, reason: `attempt ${attempt} of job ${jobId} is leased to builder ${state.builder}, not ${builder}` };
      return { kind: 'accept' };
    case 'Cancelling':
      if (state.builder !== builder) return { kind: 'refuse', status: 409, reason: `attempt ${attempt} of job ${jobId} is leased to builder ${state.builder}, not ${builder}` };
      if (upload.kind !== 'log') return { kind: 'refuse', status: 409, reason: `job ${jobId} is being cancelled: only the log of attempt ${attempt} is taken, no packages` };
      return { kind: 'accept' };
    case 'Waiting':
      if (state.queued) return { kind: 'not_started', reason: `attempt ${attempt} of job ${jobId} is queued but no builder has started it` };
      return { kind: 'refuse', status: 409, reason: `attempt ${attempt} of job ${jobId} is not building (the job is Waiting)` };
    default:
      return { kind: 'refuse', status: 409, reason: `attempt ${attempt} of job ${jobId} is not building (the job is ${state.status})` };
  }
}

async function readJob(log: EventLog, jobId: number): Promise<{ state: JobState; events: JobEvent[] }> {
  const events = (await log.readStream(jobStreamId(jobId))).map((recorded) => deserializeEvent(recorded.type, recorded.data) as JobEvent);
  return { state: events.reduce(jobDecider.evolve, jobDecider.initialState()), events };
}

/**
 * Checks an upload against the job's stream in the log; throws a 404 or 409 problem naming why
 * it is refused. Waits up to `graceMs` for a queued attempt's BuildStarted to be recorded.
 */
export async function checkUploadScope(log: EventLog, upload: UploadRequest, graceMs = START_GRACE_MS): Promise<void> {
  const deadline = Date.now() + graceMs;
  for (;;) {
    const { state, events } = await readJob(log, upload.jobId);
    const verdict = judgeUpload(state, events, upload);
    if (verdict.kind === 'accept') return;
    if (verdict.kind === 'refuse') throw verdict.status === 404 ? notFound(verdict.reason) : conflict(verdict.reason, 'attempt');
    if (Date.now() >= deadline) throw conflict(verdict.reason, 'attempt');
    await new Promise((resolve) => setTimeout(resolve, START_POLL_MS));
  }
}
