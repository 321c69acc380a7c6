import { reason, type FailureClass, type Reason } from '@tsbit/domain';

/** The builder's code for build dependencies that cannot be installed yet. */
export const DEPENDENCY_WAIT_CODE = 'dependency_wait';
/** The longest back-off before a job in dependency wait is queued again. */
export const MAX_DEPENDENCY_WAIT_BACKOFF_MS = 30 * 60_000;

export interface ReportedFailure {
  failureClass: FailureClass;
  code: string;
  message: string;
}

export interface ClassifiedFailure {
  failureClass: FailureClass;
  reason: Reason;
  /** Build dependencies not installable yet: retried like an infrastructure failure, after a back-off. */
  dependencyWait: boolean;
}

/**
 * How a builder's failure is recorded. A dependency wait is the world not being ready rather than
 * the package being broken, so it counts as an infrastructure failure (retried by the job
 * decider up to its limit) whatever class the builder gave it.
 */
export function classifyFailure(failure: ReportedFailure): ClassifiedFailure {
  const text = failure.message === '' ? failure.code : `${failure.code}: ${failure.message}`;
  if (failure.code === DEPENDENCY_WAIT_CODE) {
    return { failureClass: 'infrastructure', reason: reason('dependency_wait', text), dependencyWait: true };
  }
  if (failure.failureClass === 'package') return { failureClass: 'package', reason: reason('package_failure', text), dependencyWait: false };
  return { failureClass: 'infrastructure', reason: reason('infrastructure_failure', text), dependencyWait: false };
}

/**
 * How long a job in dependency wait stays Blocked before it is queued again: the base after the
 * first wait, doubling with each further one (`retries` is the count of automatic retries so
 * far, the one just granted included), capped.
 */
export function dependencyWaitBackoffMs(baseMs: number, retries: number): number {
  const doublings = Math.max(0, Math.min(retries - 1, 20));
  return Math.min(MAX_DEPENDENCY_WAIT_BACKOFF_MS, baseMs * 2 ** doublings);
}

/** The reason a job in dependency wait shows while Blocked. */
export function dependencyWaitReason(failure: ReportedFailure, backoffMs: number): Reason {
  const detail = failure.message === '' ? '' : ` (${failure.message})`;
  return reason('dependency_wait', `build dependencies not installable yet${detail}; queued again after ${Math.ceil(backoffMs / 1000)} s`);
}
