import type { Reason } from '@tsbit/domain';

/** The builders that bear on one queue (`<format>.<suite>.<arch>`), as the read model shows them. */
export interface QueueCapacity {
  /** Builders not lost that build the queue's architecture, for any suite or format. */
  onlineForArch: number;
  /** Of those, the ones that build its suite and format too. */
  capable: number;
  /** Build slots of the capable builders that are not paused. */
  openSlots: number;
  /** Of those slots, the ones running a build now. */
  busySlots: number;
}

/** Where a job stands in its queue; known when one job is asked for, not for a whole list page. */
export interface QueuePlace {
  /** Waiting jobs that go before it: higher priority, or the same and submitted earlier. */
  ahead: number;
  /** Mean seconds of the queue's recent successful builds; null before the first. */
  averageBuildSeconds: number | null;
}

/** What the queue holds before a job, as the fair dispatcher will take it. */
export interface QueueAhead {
  /** Waiting jobs of a higher priority: they all go first. */
  higherPriority: number;
  /** The job's own project's jobs of its priority submitted before it. */
  ownProjectBefore: number;
  /** For each other project with jobs of the job's priority: how many it has. */
  otherProjects: number[];
}

/**
 * How many jobs go before a job. Projects of one priority take turns for free slots, so until
 * the job's own turn each other project gets as many builds as the jobs of its own project ahead
 * of it, or all it has if that is fewer: an urgent build behind a mass rebuild of another project
 * is first, not five-thousandth. (Who goes first within a round depends on builds running and
 * served so far, which the read model does not keep; this counts the job's project first.)
 */
export function jobsAheadInFairQueue(ahead: QueueAhead): number {
  const turnsOfOthers = ahead.otherProjects.reduce((sum, waiting) => sum + Math.min(waiting, ahead.ownProjectBefore), 0);
  return ahead.higherPriority + ahead.ownProjectBefore + turnsOfOthers;
}

export interface WaitingExplanation {
  reason: Reason;
  estimatedStartAt: string | null;
}

interface QueueOf {
  suite: string;
  arch: string;
  format: string;
}

/**
 * Why a job that waits for a slot has none yet, in the order a user needs to know it: nobody can
 * build it at all, everybody who could is drained, or it waits its turn (with its place and an
 * estimate when the place is known). `now` is passed in so that the estimate is testable.
 */
export function explainWaiting(job: QueueOf, capacity: QueueCapacity, place: QueuePlace | undefined, now: Date): WaitingExplanation {
  if (capacity.onlineForArch === 0) {
    return { reason: { code: 'no_builder_online', message: `no builder online for ${job.arch}`, jobIds: [] }, estimatedStartAt: null };
  }
  if (capacity.capable === 0) {
    return { reason: { code: 'no_builder_online', message: `no builder online for ${job.suite}/${job.arch} (${job.format})`, jobIds: [] }, estimatedStartAt: null };
  }
  if (capacity.openSlots === 0) {
    return { reason: { code: 'paused_by_admin', message: `every builder for ${job.suite}/${job.arch} is paused by an admin`, jobIds: [] }, estimatedStartAt: null };
  }
  if (!place) {
    return { reason: { code: 'queued', message: `in the queue for ${job.suite}/${job.arch}`, jobIds: [] }, estimatedStartAt: null };
  }
  // Free slots take the jobs ahead first; after that, jobs leave in rounds of one build per open
  // slot, each round one average build long (a running build is counted as a whole one).
  const freeNow = Math.max(0, capacity.openSlots - capacity.busySlots);
  const rounds = place.ahead < freeNow ? 0 : Math.floor((place.ahead - freeNow) / capacity.openSlots) + 1;
  const estimatedStartAt = place.averageBuildSeconds === null ? null : new Date(now.getTime() + rounds * place.averageBuildSeconds * 1000).toISOString();
  return { reason: { code: 'queued', message: `${ordinal(place.ahead + 1)} in the queue for ${job.suite}/${job.arch}`, jobIds: [] }, estimatedStartAt };
}

/**
 * A rebuild check must be built by another builder than the original's: while no other builder
 * that is not lost or paused serves its queue, that is why it waits (the scheduler holds it).
 */
export function waitingForOtherBuilder(job: QueueOf & { id: number; rebuildOf: number; avoidBuilder: string }, otherOpenBuilders: number): Reason | undefined {
  if (otherOpenBuilders > 0) return undefined;
  return {
    code: 'waiting_for_other_builder',
    message: `a rebuild check of job ${job.rebuildOf} needs a builder other than ${job.avoidBuilder} for ${job.suite}/${job.arch}`,
    jobIds: [job.rebuildOf],
  };
}

function ordinal(n: number): string {
  const suffix = n % 100 >= 11 && n % 100 <= 13 ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th';
  return `${n}${suffix}`;
}
