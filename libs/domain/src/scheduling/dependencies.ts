import type { JobStatus, Reason } from '../events';
import { reason } from '../job/decider';

export type DependencyVerdict =
  | { kind: 'ready' }
  | { kind: 'wait'; reason: Reason }
  | { kind: 'cancel'; reason: Reason };

/**
 * What a job's dependencies allow: build now, wait (Blocked, naming what it waits for), or never
 * build because a dependency failed, was cancelled or does not exist.
 */
export function judgeDependencies(dependencies: ReadonlyArray<{ jobId: number; status: JobStatus | undefined }>): DependencyVerdict {
  const broken = dependencies.filter((dependency) => dependency.status === undefined || ['Failed', 'Cancelled'].includes(dependency.status));
  if (broken.length > 0) {
    const ids = broken.map((dependency) => dependency.jobId);
    return { kind: 'cancel', reason: reason('dependency_failed', `dependency job ${ids.join(', ')} failed, was cancelled or does not exist`, ids) };
  }
  const waiting = dependencies.filter((dependency) => dependency.status !== 'Done').map((dependency) => dependency.jobId);
  if (waiting.length > 0) return { kind: 'wait', reason: reason('waiting_for_dependency', `waiting for dependency job ${waiting.join(', ')}`, waiting) };
  return { kind: 'ready' };
}
