import { assertNever, DomainError, type Decider } from '../decider';
import type { Actor, JobEvent, Reason } from '../events';
import type { JobCommand, SubmitJob } from './commands';
import type { JobState, KnownJobState } from './state';
import { validateSubmission } from './validation';

/** Infrastructure failures (builder lost, disk full, time-out) are retried by the farm this often. */
export const MAX_INFRASTRUCTURE_RETRIES = 3;

export const reason = (code: Reason['code'], message: string, jobIds: number[] = []): Reason => ({ code, message, jobIds });
const system: Actor = { kind: 'system', name: 'tsbit' };

const conflict = (state: JobState, action: string): never => {
  const id = state.status === 'Initial' ? '' : ` ${state.job.jobId}`;
  throw new DomainError('conflict', `job${id} is ${state.status}: cannot ${action}`);
};

function known(state: JobState, action: string): KnownJobState {
  if (state.status === 'Initial') throw new DomainError('not_found', `no such job: cannot ${action}`);
  if (state.status === 'Deleted') throw new DomainError('not_found', `job ${state.job.jobId} was deleted: cannot ${action}`);
  return state;
}

const leaseIsOver = (state: KnownJobState, attempt: number, action: string): never => {
  throw new DomainError('conflict', `job ${state.job.jobId}: the lease of attempt ${attempt} expired, its builder's reports are void: cannot ${action}`);
};

/** A report from a builder must be about the attempt in play and come from its builder. */
function currentAttempt(state: KnownJobState, attempt: number, builder: string, action: string): void {
  if (attempt !== state.attempt) {
    throw new DomainError('conflict', `job ${state.job.jobId}: attempt ${attempt} is over (attempt ${state.attempt} is current): cannot ${action}`);
  }
  if ((state.status === 'Building' || state.status === 'Cancelling') && state.builder !== builder) {
    throw new DomainError('conflict', `job ${state.job.jobId}: attempt ${attempt} belongs to ${state.builder}, not ${builder}: cannot ${action}`);
  }
}

/** The same submission again (a retried request): equal but for the time, absent new fields read as their defaults. */
function sameSubmission(recorded: SubmitJob['job'] & { submittedAt?: string }, submitted: SubmitJob['job']): boolean {
  const comparable = (job: SubmitJob['job']): string => {
    const fields: Record<string, unknown> = { ...job, submittedAt: '', rebuildOf: job.rebuildOf ?? 0, avoidBuilder: job.avoidBuilder ?? '' };
    return JSON.stringify(Object.keys(fields).sort().map((key) => [key, fields[key]]));
  };
  return comparable(recorded) === comparable(submitted);
}

export function decide(command: JobCommand, state: JobState): JobEvent[] {
  const jobId = state.status === 'Initial' ? 0 : state.job.jobId;
  switch (command.type) {
    case 'SubmitJob': {
      if (state.status !== 'Initial') {
        if (state.job.submittedAt !== '' && sameSubmission(state.job, command.job)) return [];
        throw new DomainError('conflict', `job ${state.job.jobId} exists already`);
      }
      validateSubmission(command.job);
      return [{ type: 'JobSubmitted', data: { ...command.job, submittedAt: command.at } }];
    }
    case 'BlockJob': {
      const current = known(state, 'block');
      if (current.status === 'Blocked' && JSON.stringify(current.reason) === JSON.stringify(command.reason)) return [];
      if (current.status !== 'Waiting' && current.status !== 'Blocked') return conflict(state, 'block');
      if (current.queued) return conflict(state, 'block a queued attempt');
      return [{ type: 'JobBlocked', data: { jobId, reason: command.reason, blockedAt: command.at } }];
    }
    case 'QueueJob': {
      const current = known(state, 'queue');
      if (current.status === 'Waiting' && current.queued) return [];
      if (current.status !== 'Waiting' && current.status !== 'Blocked') return conflict(state, 'queue');
      return [{ type: 'JobQueued', data: { jobId, attempt: current.attempt + 1, routingKey: command.routingKey, queuedAt: command.at } }];
    }
    case 'StartBuild': {
      const current = known(state, 'start a build');
      if (current.status === 'Building' && current.attempt === command.attempt && current.builder === command.builder) return [];
      if (current.status !== 'Waiting' || !current.queued) return conflict(state, 'start a build');
      currentAttempt(current, command.attempt, command.builder, 'start a build');
      return [{ type: 'BuildStarted', data: { jobId, attempt: command.attempt, builder: command.builder, startedAt: command.at, mode: command.mode ?? '' } }];
    }
    case 'SucceedBuild': {
      const current = known(state, 'record a success');
      if (current.status === 'Done' && current.attempt === command.attempt) return [];
      if (current.status !== 'Building' && current.status !== 'Cancelling') return conflict(state, 'record a success');
      currentAttempt(current, command.attempt, command.builder, 'record a success');
      return [
        {
          type: 'BuildSucceeded',
          data: {
            jobId,
            attempt: command.attempt,
            builder: command.builder,
            artifacts: command.artifacts,
            finishedAt: command.at,
            ...(command.inputs ? { inputs: command.inputs } : {}),
          },
        },
      ];
    }
    case 'FailBuild': {
      const current = known(state, 'record a failure');
      if (current.status === 'Failed' && current.attempt === command.attempt) return [];
      if (current.status === 'Waiting' && current.attempt === command.attempt && !current.queued) {
        if (current.reason?.code === 'lease_expired') return leaseIsOver(current, command.attempt, 'record a failure');
        return []; // retried already
      }
      if (current.status !== 'Building' && current.status !== 'Cancelling') return conflict(state, 'record a failure');
      currentAttempt(current, command.attempt, command.builder, 'record a failure');
      const failed: JobEvent = {
        type: 'BuildFailed',
        data: { jobId, attempt: command.attempt, builder: command.builder, failureClass: command.failureClass, reason: command.reason, artifacts: command.artifacts, finishedAt: command.at },
      };
      if (current.status === 'Cancelling') {
        return [failed, { type: 'JobCancelled', data: { jobId, cancelledBy: system, reason: current.reason ?? reason('cancelled_by_user', 'cancelled'), cancelledAt: command.at } }];
      }
      // Missing build dependencies are the archive not being ready, not the package or the farm
      // failing: the job waits for them however long it takes (the scheduler spaces the attempts).
      const dependencyWait = command.reason.code === 'dependency_wait';
      if (dependencyWait || (command.failureClass === 'infrastructure' && current.infrastructureRetries < MAX_INFRASTRUCTURE_RETRIES)) {
        return [failed, { type: 'JobRetried', data: { jobId, attempt: command.attempt + 1, retriedBy: system, automatic: true, retriedAt: command.at } }];
      }
      return [failed];
    }
    case 'ExpireLease': {
      const current = known(state, 'expire a lease');
      if (current.status !== 'Building' && current.status !== 'Cancelling') {
        if (current.attempt > command.attempt || current.status === 'Cancelled') return [];
        if (current.status === 'Waiting' && current.attempt === command.attempt && current.reason?.code === 'lease_expired') return [];
        return conflict(state, 'expire a lease');
      }
      if (command.attempt < current.attempt) return [];
      currentAttempt(current, command.attempt, command.builder, 'expire a lease');
      const expired: JobEvent = { type: 'LeaseExpired', data: { jobId, attempt: command.attempt, builder: command.builder, expiredAt: command.at } };
      if (current.status === 'Cancelling') {
        return [expired, { type: 'JobCancelled', data: { jobId, cancelledBy: system, reason: current.reason ?? reason('cancelled_by_user', 'cancelled'), cancelledAt: command.at } }];
      }
      // A lost builder is an infrastructure failure like any other: a job that keeps killing its
      // builders (out of memory, a kernel panic) must not go round the farm for ever.
      if (current.infrastructureRetries >= MAX_INFRASTRUCTURE_RETRIES) {
        const limit = reason(
          'retry_limit_reached',
          `builder ${command.builder} stopped answering; ${MAX_INFRASTRUCTURE_RETRIES + 1} attempts were lost to infrastructure failures, so the farm stops retrying`,
        );
        return [expired, { type: 'BuildFailed', data: { jobId, attempt: command.attempt, builder: command.builder, failureClass: 'infrastructure', reason: limit, artifacts: [], finishedAt: command.at } }];
      }
      return [expired];
    }
    case 'CancelJob': {
      const current = known(state, 'cancel');
      switch (current.status) {
        case 'Waiting':
        case 'Blocked':
          return [{ type: 'JobCancelled', data: { jobId, cancelledBy: command.by, reason: command.reason, cancelledAt: command.at } }];
        case 'Building':
          return [{ type: 'JobCancelRequested', data: { jobId, requestedBy: command.by, reason: command.reason, requestedAt: command.at } }];
        case 'Cancelling':
        case 'Cancelled':
          return [];
        default:
          return conflict(state, 'cancel');
      }
    }
    case 'ConfirmCancel': {
      const current = known(state, 'confirm a cancel');
      if (current.status === 'Cancelled') return [];
      if (current.status !== 'Cancelling') return conflict(state, 'confirm a cancel');
      currentAttempt(current, command.attempt, command.builder, 'confirm a cancel');
      return [{ type: 'JobCancelled', data: { jobId, cancelledBy: { kind: 'builder', name: command.builder }, reason: current.reason ?? reason('cancelled_by_user', 'cancelled'), cancelledAt: command.at } }];
    }
    case 'RetryJob': {
      const current = known(state, 'retry');
      if (current.status !== 'Failed' && current.status !== 'Cancelled') return conflict(state, 'retry');
      // Building it again would put the older version back beside (or after) the newer one.
      if (current.status === 'Cancelled' && current.reason?.code === 'superseded') {
        throw new DomainError('conflict', `job ${jobId} was ${current.reason.message}: retry that one instead`);
      }
      return [{ type: 'JobRetried', data: { jobId, attempt: current.attempt + 1, retriedBy: command.by, automatic: command.automatic, retriedAt: command.at } }];
    }
    case 'DeleteJob': {
      if (state.status === 'Deleted') return [];
      const current = known(state, 'delete');
      if (current.status === 'Building' || current.status === 'Cancelling') return conflict(state, 'delete while it builds; cancel it first');
      return [{ type: 'JobDeleted', data: { jobId, deletedBy: command.by, deletedAt: command.at } }];
    }
    default:
      return assertNever(command);
  }
}

export function evolve(state: JobState, event: JobEvent): JobState {
  if (event.type === 'JobSubmitted') {
    return { status: 'Waiting', job: event.data, attempt: 0, queued: false, infrastructureRetries: 0, dependencyWaits: 0, reason: reason('queued', 'waiting for a build slot') };
  }
  if (state.status === 'Initial') return state;
  // A job that goes back to waiting belongs to no builder any more.
  const { builder: _builder, ...unassigned } = state as KnownJobState & { builder?: string };
  switch (event.type) {
    case 'JobBlocked':
      return { ...state, status: 'Blocked', reason: event.data.reason };
    case 'JobQueued':
      return { ...unassigned, status: 'Waiting', attempt: event.data.attempt, queued: true, reason: reason('queued', 'queued for a builder') };
    case 'BuildStarted':
      return { ...state, status: 'Building', attempt: event.data.attempt, builder: event.data.builder, reason: null };
    case 'BuildSucceeded':
      return { ...state, status: 'Done', builder: event.data.builder, reason: null };
    case 'BuildFailed':
      return { ...state, status: 'Failed', builder: event.data.builder, failureClass: event.data.failureClass, reason: event.data.reason };
    case 'LeaseExpired':
      return { ...unassigned, status: 'Waiting', queued: false, infrastructureRetries: state.infrastructureRetries + 1, reason: reason('lease_expired', `builder ${event.data.builder} stopped answering; the job goes back to the queue`) };
    case 'JobCancelRequested':
      return state.status === 'Building' ? { ...state, status: 'Cancelling', reason: event.data.reason } : state;
    case 'JobCancelled':
      return { ...state, status: 'Cancelled', reason: event.data.reason };
    case 'JobRetried': {
      const afterDependencyWait = event.data.automatic && state.reason?.code === 'dependency_wait';
      return {
        ...unassigned,
        status: 'Waiting',
        // The attempt number moves when the retry is queued; until then the last one stands.
        attempt: event.data.attempt - 1,
        queued: false,
        // A retry by hand starts a fresh budget of automatic retries.
        infrastructureRetries: !event.data.automatic ? 0 : state.infrastructureRetries + (afterDependencyWait ? 0 : 1),
        dependencyWaits: afterDependencyWait ? state.dependencyWaits + 1 : 0,
        reason: reason(
          'queued',
          !event.data.automatic ? 'retried' : afterDependencyWait ? 'retried once its build dependencies can be installed' : 'retried by the farm after an infrastructure failure',
        ),
      };
    }
    case 'JobDeleted':
      return { ...state, status: 'Deleted', previous: state.status === 'Deleted' ? state.previous : state.status };
    default:
      return assertNever(event);
  }
}

export const jobDecider: Decider<JobCommand, JobEvent, JobState> = {
  decide,
  evolve,
  initialState: () => ({ status: 'Initial' }),
};
