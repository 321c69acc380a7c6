import {
  builderDecider,
  supersededBy,
  jobDecider,
  type BuilderEvent,
  type BuilderState,
  type Capabilities,
  type JobEvent,
  type JobState,
  type JobStatus,
  type KnownJobState,
  type PendingJob,
} from '@tsbit/domain';
import { buildRoutingKey } from '@tsbit/messaging';
import { planDispatch, rebuildCheckCanGo, type SlotOffer } from './policy/dispatch-plan';
import { dependencyWaitBackoffMs } from './policy/failures';
import { dependencyStatus, runningViewOf, type RunningView } from './policy/job-views';
import type { BuildingAttempt } from './policy/leases';

/** What the scheduler holds of an unfinished job. */
export interface TrackedJob {
  /** The job decider's state, folded from the job's stream up to `version`. */
  state: KnownJobState;
  version: number;
  /** `<format>.<suite>.<arch>`; '' for a job no routing key can be made for (never dispatched). */
  routingKey: string;
  /** When JobSubmitted was recorded (ms), for the dispatch latency. */
  submittedAt: number;
  /** The scheduler judged the dependencies of the attempt to come: it may be dispatched. */
  released: boolean;
  /** Picked for a slot; its JobQueued is being appended. */
  dispatching: boolean;
  /** The builder whose slot a dispatched, not yet started attempt is counted against. */
  reservedOn: string | undefined;
  /** The attempt a cancel was last sent for. */
  cancelSentFor: number;
  /** When the current attempt was queued (JobQueued), for its BuildRequest. */
  queuedAt: string | undefined;
}

/** A finished job is kept small: what dependants and heartbeat checks need. */
interface FinishedJob {
  version: number;
  dependencyStatus: JobStatus | undefined;
  view: RunningView;
}

interface TrackedBuilder {
  name: string;
  state: BuilderState;
  version: number;
  /** When it was last heard from (ms); the start-up time for builders known from the log. */
  lastSeen: number;
}

export type JobChange = { kind: 'changed'; jobId: number; from: JobState['status'] | undefined; to: JobState['status'] } | { kind: 'duplicate' } | { kind: 'gap' };

export interface Dispatch {
  job: TrackedJob;
  builder: string;
}

const FINAL_STATUSES: ReadonlySet<JobState['status']> = new Set(['Done', 'Failed', 'Cancelled', 'Deleted']);
export const isFinal = (status: JobState['status'] | undefined): boolean => status !== undefined && FINAL_STATUSES.has(status);
const OUTSTANDING_STATUSES: ReadonlySet<JobState['status']> = new Set(['Building', 'Cancelling']);

const packageInstanceKey = (job: KnownJobState['job']): string => [job.package, job.dist, job.suite, job.arch, job.env].join('\u0000');

function routingKeyOf(job: KnownJobState['job']): string {
  try {
    return buildRoutingKey(job);
  } catch {
    return '';
  }
}

/**
 * The scheduler's picture of the farm, folded from job and builder events: every unfinished job
 * with its decider state, the jobs waiting for a slot per routing key, what is dispatched or
 * building, the builders and their slots, and which jobs wait for which. Each stream's events
 * are applied once, in order, by version; a gap is reported so that the caller reads the stream
 * from the log. No I/O and no clock: time is passed in.
 */
export class FarmModel {
  private readonly jobs = new Map<number, TrackedJob>();
  private readonly finished = new Map<number, FinishedJob>();
  private readonly builders = new Map<string, TrackedBuilder>();
  /** Released jobs that wait for a slot, by routing key (held ones included). */
  private readonly pending = new Map<string, Map<number, PendingJob>>();
  private readonly held = new Set<number>();
  /**
   * Jobs kept from dispatch until a time (ms), after a dependency wait. Kept apart from the jobs:
   * a hold is set before the retry it covers is recorded, and must outlive the moment the job
   * shows Failed (and is compacted) before its JobRetried arrives.
   */
  private readonly holds = new Map<number, number>();
  /** Held jobs in dependency wait, with the packages whose publication ends their hold early. */
  private readonly awaitedPackages = new Map<number, { suite: string; names: ReadonlySet<string> }>();
  /** Dispatching, queued or building. */
  private readonly outstanding = new Map<number, TrackedJob>();
  private readonly dependants = new Map<number, Set<number>>();
  /** Unfinished jobs by what superseding compares: package, dist, suite, arch, env. */
  private readonly byPackageInstance = new Map<string, Set<number>>();
  /** Dispatches per project since start, for the round-robin between projects. */
  private readonly served = new Map<string, number>();
  /** While the log is folded at start, Failed jobs stay whole: most get a JobRetried next. */
  private folding = false;

  constructor(private readonly options: { dependencyWaitBackoffMs: number }) {}

  // --- jobs -------------------------------------------------------------------------------------

  applyJobEvent(jobId: number, version: number, event: JobEvent, recordedAt: number): JobChange {
    const finished = this.finished.get(jobId);
    if (finished) {
      if (version <= finished.version) return { kind: 'duplicate' };
      if (version === finished.version + 1 && event.type === 'JobDeleted') {
        const from = finished.view.status;
        finished.version = version;
        finished.view = { ...finished.view, status: 'Deleted' };
        return { kind: 'changed', jobId, from, to: 'Deleted' };
      }
      return { kind: 'gap' };
    }
    const job = this.jobs.get(jobId);
    if (!job) {
      if (event.type !== 'JobSubmitted' || version !== 0) return { kind: 'gap' };
      this.track(jobDecider.evolve(jobDecider.initialState(), event) as KnownJobState, 0, recordedAt);
      return { kind: 'changed', jobId, from: undefined, to: 'Waiting' };
    }
    if (version <= job.version) return { kind: 'duplicate' };
    if (version !== job.version + 1) return { kind: 'gap' };
    const blockedAt = event.type === 'JobBlocked' ? Date.parse(event.data.blockedAt) : undefined;
    if (event.type === 'JobQueued') job.queuedAt = event.data.queuedAt;
    return this.update(job, jobDecider.evolve(job.state, event) as KnownJobState, version, blockedAt);
  }

  /**
   * Takes a job's state as the log has it (after a command, or read again after a gap). Events
   * between the known version and this one are skipped; when they come they are duplicates.
   * `blockedAt` is when a JobBlocked among them was recorded (for a dependency wait's back-off).
   */
  setJobState(state: KnownJobState, version: number, times: { blockedAt?: string; queuedAt?: string } = {}): JobChange {
    const { blockedAt, queuedAt } = times;
    const jobId = state.job.jobId;
    const finished = this.finished.get(jobId);
    if (finished && version <= finished.version) return { kind: 'duplicate' };
    const job = this.jobs.get(jobId);
    if (job && version <= job.version) return { kind: 'duplicate' };
    const blocked = blockedAt === undefined ? undefined : Date.parse(blockedAt);
    if (!job) {
      const from = finished?.view.status;
      this.finished.delete(jobId);
      const tracked = this.track(state, version, Date.parse(state.job.submittedAt), blocked);
      if (tracked && queuedAt !== undefined) tracked.queuedAt = queuedAt;
      return { kind: 'changed', jobId, from, to: state.status };
    }
    if (queuedAt !== undefined) job.queuedAt = queuedAt;
    return this.update(job, state, version, blocked);
  }

  job(jobId: number): TrackedJob | undefined {
    return this.jobs.get(jobId);
  }

  /** The version of the job's stream the model is at; -1 when it knows nothing of it. */
  versionOf(jobId: number): number {
    return this.jobs.get(jobId)?.version ?? this.finished.get(jobId)?.version ?? -1;
  }

  /** A dependency's status as of what was folded (start-up); the live path reads the log instead. */
  dependencyStatusOf(jobId: number): JobStatus | undefined {
    const job = this.jobs.get(jobId);
    if (job) return dependencyStatus(job.state);
    return this.finished.get(jobId)?.dependencyStatus;
  }

  runningView(jobId: number): RunningView | undefined {
    const job = this.jobs.get(jobId);
    if (job) return runningViewOf(job.state);
    return this.finished.get(jobId)?.view;
  }

  dependantsOf(jobId: number): number[] {
    return [...(this.dependants.get(jobId) ?? [])];
  }

  /**
   * The unfinished jobs a newly submitted job supersedes (pyBit's rule: same package, dist,
   * suite, arch and env, a version not newer), in the order of the log rather than of a read
   * model, so that two submissions a moment apart are caught too.
   */
  supersededBy(jobId: number): number[] {
    const job = this.jobs.get(jobId);
    if (!job) return [];
    const candidates = [...(this.byPackageInstance.get(packageInstanceKey(job.state.job)) ?? [])]
      .map((id) => this.jobs.get(id))
      .filter((other): other is TrackedJob => other !== undefined && other.state.status !== 'Cancelling' && other.state.job.jobId < jobId)
      .map((other) => other.state.job);
    return supersededBy(candidates, job.state.job);
  }

  /** The job may be dispatched: its dependencies are done. */
  release(jobId: number): void {
    const job = this.jobs.get(jobId);
    if (!job || job.released) return;
    job.released = true;
    this.place(job);
  }

  /**
   * Keeps a job from dispatch until `until` (ms), or until the farm builds one of the `awaited`
   * packages for its suite, whichever comes first.
   */
  hold(jobId: number, until: number, awaited: string[] = []): void {
    this.holds.set(jobId, Math.max(this.holds.get(jobId) ?? 0, until));
    const job = this.jobs.get(jobId);
    if (job && awaited.length > 0) this.awaitedPackages.set(jobId, { suite: job.state.job.suite, names: new Set(awaited) });
    if (job) this.place(job);
  }

  unhold(jobId: number): void {
    this.awaitedPackages.delete(jobId);
    if (!this.holds.delete(jobId)) return;
    const job = this.jobs.get(jobId);
    if (job) this.place(job);
  }

  /** A build for `suite` made `provided` installable: the jobs that waited for one of them go. */
  packagesPublished(suite: string, provided: string[]): number[] {
    const released: number[] = [];
    for (const [jobId, awaited] of this.awaitedPackages) {
      if (awaited.suite !== suite || !provided.some((name) => awaited.names.has(name))) continue;
      this.unhold(jobId);
      released.push(jobId);
    }
    return released;
  }

  /** The packages a held job waits for, if its builder's report named them. */
  awaitedBy(jobId: number): string[] {
    return [...(this.awaitedPackages.get(jobId)?.names ?? [])];
  }

  /** A dispatch that failed before its JobQueued was appended: the job waits for a slot again. */
  undispatch(jobId: number): void {
    const job = this.jobs.get(jobId);
    if (!job || !job.dispatching) return;
    job.dispatching = false;
    job.reservedOn = undefined;
    this.place(job);
  }

  /** Waiting or Blocked jobs whose dependencies nobody has judged yet (after the fold, a retry, a lease expiry). */
  unjudged(): TrackedJob[] {
    return [...this.jobs.values()].filter((job) => this.needsJudgement(job));
  }

  needsJudgement(job: TrackedJob): boolean {
    const { state } = job;
    return (state.status === 'Waiting' || state.status === 'Blocked') && !state.queued && !job.released && !job.dispatching;
  }

  /** Dispatched attempts no builder has started yet. */
  queuedJobs(): TrackedJob[] {
    return [...this.outstanding.values()].filter((job) => job.state.status === 'Waiting' && job.state.queued);
  }

  cancellingJobs(): TrackedJob[] {
    return [...this.outstanding.values()].filter((job) => job.state.status === 'Cancelling');
  }

  building(): BuildingAttempt[] {
    const builds: BuildingAttempt[] = [];
    for (const job of this.outstanding.values()) {
      const { state } = job;
      if (state.status === 'Building' || state.status === 'Cancelling') builds.push({ jobId: state.job.jobId, attempt: state.attempt, builder: state.builder });
    }
    return builds;
  }

  /** The start-up fold begins: Failed jobs are kept whole until it ends. */
  beginFold(): void {
    this.folding = true;
  }

  /** The end of the start-up fold: builders are given until now + a lease to speak, Failed jobs are compacted. */
  endFold(now: number): void {
    this.folding = false;
    for (const job of [...this.jobs.values()]) if (isFinal(job.state.status)) this.compact(job);
    for (const builder of this.builders.values()) builder.lastSeen = now;
  }

  // --- dispatch ---------------------------------------------------------------------------------

  /**
   * Picks the jobs to dispatch now, fairly, within the free slots of live, unpaused builders, and
   * marks them dispatching (counted against their builder's slot) before any I/O, so that the
   * next pass does not pick them again.
   */
  planDispatch(now: number): Dispatch[] {
    if (this.pending.size === 0) return [];
    const live = [...this.builders.values()].filter((builder) => builder.state.status === 'Online');
    if (live.length === 0) return [];
    const capabilities = new Map<string, Capabilities>();
    for (const builder of live) if (builder.state.status === 'Online') capabilities.set(builder.name, builder.state.capabilities);

    const load = new Map<string, number>();
    const running = new Map<string, number>();
    const floating: TrackedJob[] = [];
    for (const job of this.outstanding.values()) {
      const { state } = job;
      running.set(state.job.project, (running.get(state.job.project) ?? 0) + 1);
      if (state.status === 'Building' || state.status === 'Cancelling') load.set(state.builder, (load.get(state.builder) ?? 0) + 1);
      else if (job.reservedOn && serves(capabilities.get(job.reservedOn), job.routingKey)) load.set(job.reservedOn, (load.get(job.reservedOn) ?? 0) + 1);
      else floating.push(job);
    }
    // Requests out without a builder to count them against (theirs was lost or paused, or the
    // scheduler restarted) take a slot of a builder that can take them, as one of those will.
    for (const job of floating) {
      const builder = live.find((candidate) => serves(capabilities.get(candidate.name), job.routingKey) && (load.get(candidate.name) ?? 0) < slotsOf(capabilities.get(candidate.name)));
      job.reservedOn = builder?.name;
      if (builder) load.set(builder.name, (load.get(builder.name) ?? 0) + 1);
    }

    // Only now, with free slots known to exist, is the (possibly long) pending list looked at.
    const offers: SlotOffer[] = [];
    for (const builder of live) {
      const caps = capabilities.get(builder.name);
      const free = slotsOf(caps) - (load.get(builder.name) ?? 0);
      if (free <= 0) continue;
      const keys = [...this.pending.keys()].filter((key) => serves(caps, key));
      if (keys.length > 0) offers.push({ builder: builder.name, free, keys });
    }
    if (offers.length === 0) return [];
    const pendingByKey = new Map<string, PendingJob[]>();
    const avoided = new Map<number, string>();
    for (const key of new Set(offers.flatMap((offer) => offer.keys))) {
      const ready = [...(this.pending.get(key)?.values() ?? [])].filter((pending) => !this.isHeld(pending.jobId, now));
      if (ready.length > 0) pendingByKey.set(key, ready);
      for (const pending of ready) {
        const avoid = this.jobs.get(pending.jobId)?.state.job.avoidBuilder;
        if (avoid) avoided.set(pending.jobId, avoid);
      }
    }

    const dispatches: Dispatch[] = [];
    for (const assignment of planDispatch(offers, pendingByKey, running, this.served, avoided)) {
      const job = this.jobs.get(assignment.jobId);
      if (!job) continue;
      job.dispatching = true;
      job.reservedOn = assignment.builder;
      this.served.set(job.state.job.project, (this.served.get(job.state.job.project) ?? 0) + 1);
      this.place(job);
      dispatches.push({ job, builder: assignment.builder });
    }
    return dispatches;
  }

  /** Whether a live, unpaused builder serves the routing key (one other than `avoid`, for a rebuild check). */
  hasLiveBuilderFor(routingKey: string, avoid = ''): boolean {
    const serving = [...this.builders.values()].filter((builder) => builder.state.status === 'Online' && serves(builder.state.capabilities, routingKey)).map((builder) => builder.name);
    return serving.length > 0 && rebuildCheckCanGo(avoid, serving);
  }

  /** The earliest end of a hold still to come, to wake dispatch then. */
  nextHoldEnd(now: number): number | undefined {
    let earliest: number | undefined;
    for (const jobId of this.held) {
      const until = this.holds.get(jobId);
      if (until !== undefined && until > now && (earliest === undefined || until < earliest)) earliest = until;
    }
    return earliest;
  }

  pendingCount(): Map<string, number> {
    return new Map([...this.pending].map(([key, jobs]) => [key, jobs.size]));
  }

  /** Per architecture: jobs waiting for a slot, and jobs dispatched or building (builder pool sizing). */
  workByArch(): Map<string, { waiting: number; building: number }> {
    const work = new Map<string, { waiting: number; building: number }>();
    const add = (routingKey: string, field: 'waiting' | 'building', count: number): void => {
      const arch = routingKey.split('.')[2] ?? '';
      const entry = work.get(arch) ?? { waiting: 0, building: 0 };
      entry[field] += count;
      work.set(arch, entry);
    };
    for (const [key, jobs] of this.pending) add(key, 'waiting', jobs.size);
    for (const job of this.outstanding.values()) add(job.routingKey, 'building', 1);
    return work;
  }

  // --- builders ---------------------------------------------------------------------------------

  applyBuilderEvent(name: string, version: number, event: BuilderEvent, now: number): 'changed' | 'duplicate' | 'gap' {
    const builder = this.builders.get(name);
    const known = builder?.version ?? -1;
    if (version <= known) return 'duplicate';
    if (version !== known + 1) return 'gap';
    const state = builderDecider.evolve(builder?.state ?? builderDecider.initialState(), event);
    this.builders.set(name, { name, state, version, lastSeen: builder?.lastSeen ?? now });
    return 'changed';
  }

  setBuilderState(name: string, state: BuilderState, version: number, now: number): void {
    const builder = this.builders.get(name);
    if (builder && version <= builder.version) return;
    this.builders.set(name, { name, state, version, lastSeen: builder?.lastSeen ?? now });
  }

  builder(name: string): { state: BuilderState; version: number; lastSeen: number } | undefined {
    const builder = this.builders.get(name);
    return builder && { state: builder.state, version: builder.version, lastSeen: builder.lastSeen };
  }

  /** A report came from the builder. */
  heardFrom(name: string, now: number): void {
    const builder = this.builders.get(name);
    if (builder) builder.lastSeen = Math.max(builder.lastSeen, now);
  }

  /** Builders not known to be lost that nobody has heard from since `since`. */
  silentBuilders(since: number): string[] {
    return [...this.builders.values()]
      .filter((builder) => (builder.state.status === 'Online' || builder.state.status === 'Paused') && builder.lastSeen <= since)
      .map((builder) => builder.name);
  }

  // --- inside -----------------------------------------------------------------------------------

  private track(state: KnownJobState, version: number, submittedAt: number, blockedAt?: number): TrackedJob | undefined {
    const jobId = state.job.jobId;
    const job: TrackedJob = {
      state,
      version,
      routingKey: routingKeyOf(state.job),
      submittedAt,
      released: false,
      dispatching: false,
      reservedOn: undefined,
      cancelSentFor: 0,
      queuedAt: undefined,
    };
    this.jobs.set(jobId, job);
    const instance = packageInstanceKey(state.job);
    this.byPackageInstance.set(instance, (this.byPackageInstance.get(instance) ?? new Set<number>()).add(jobId));
    for (const dependency of state.job.dependsOn) {
      const set = this.dependants.get(dependency) ?? new Set<number>();
      set.add(jobId);
      this.dependants.set(dependency, set);
    }
    this.update(job, state, version, blockedAt);
    return this.jobs.get(jobId);
  }

  private update(job: TrackedJob, state: KnownJobState, version: number, blockedAt: number | undefined): JobChange {
    const from = job.state.status;
    const jobId = state.job.jobId;
    job.state = state;
    job.version = version;
    // Whatever dispatch was under way has been recorded (JobQueued) or overtaken.
    if (state.queued || (state.status !== 'Waiting' && state.status !== 'Blocked')) job.dispatching = false;
    if (!job.dispatching && !(state.status === 'Waiting' && state.queued)) job.reservedOn = undefined;
    if (state.status === 'Blocked' && state.reason?.code === 'dependency_wait') {
      // Its dependencies were judged when it was first queued; it waits out the back-off only.
      job.released = true;
      const backoff = dependencyWaitBackoffMs(this.options.dependencyWaitBackoffMs, state.dependencyWaits);
      if (blockedAt !== undefined && !Number.isNaN(blockedAt)) this.holds.set(jobId, Math.max(this.holds.get(jobId) ?? 0, blockedAt + backoff));
    } else if (state.queued || state.status !== 'Waiting') {
      // The next attempt that waits has its dependencies judged again.
      job.released = false;
      // Dispatched: the hold has done its work. (`queued` stays true through Building and after.)
      if (state.status === 'Waiting' && state.queued) {
        this.holds.delete(jobId);
        this.awaitedPackages.delete(jobId);
      }
    }
    if (isFinal(state.status)) {
      for (const dependency of state.job.dependsOn) this.dependants.get(dependency)?.delete(jobId);
      if (!this.folding || state.status !== 'Failed') this.compact(job);
      else this.place(job);
    } else {
      this.place(job);
    }
    return { kind: 'changed', jobId, from, to: state.status };
  }

  private compact(job: TrackedJob): void {
    const jobId = job.state.job.jobId;
    this.unplace(jobId, job.routingKey);
    this.jobs.delete(jobId);
    const instance = packageInstanceKey(job.state.job);
    const sameInstance = this.byPackageInstance.get(instance);
    if (sameInstance?.delete(jobId) && sameInstance.size === 0) this.byPackageInstance.delete(instance);
    // A Failed job may be retried at once (its JobRetried is on its way): its hold stays.
    if (job.state.status !== 'Failed') {
      this.holds.delete(jobId);
      this.awaitedPackages.delete(jobId);
    }
    const view = runningViewOf(job.state);
    if (view) this.finished.set(jobId, { version: job.version, dependencyStatus: dependencyStatus(job.state), view });
    const dependants = this.dependants.get(jobId);
    if (dependants && dependants.size === 0) this.dependants.delete(jobId);
  }

  private isHeld(jobId: number, now: number): boolean {
    const until = this.holds.get(jobId);
    return until !== undefined && until > now;
  }

  private unplace(jobId: number, routingKey: string): void {
    const waiting = this.pending.get(routingKey);
    if (waiting?.delete(jobId) && waiting.size === 0) this.pending.delete(routingKey);
    this.outstanding.delete(jobId);
    this.held.delete(jobId);
  }

  /** Puts a job in the one index its state and the scheduler's decisions say. */
  private place(job: TrackedJob): void {
    const { state } = job;
    const jobId = state.job.jobId;
    this.unplace(jobId, job.routingKey);
    if (job.dispatching || (state.status === 'Waiting' && state.queued) || OUTSTANDING_STATUSES.has(state.status)) {
      this.outstanding.set(jobId, job);
      return;
    }
    if ((state.status === 'Waiting' || state.status === 'Blocked') && !state.queued && job.released && job.routingKey !== '') {
      const waiting = this.pending.get(job.routingKey) ?? new Map<number, PendingJob>();
      // Job ids are handed out in submission order: first come, first served, also for retries.
      waiting.set(jobId, { jobId, priority: state.job.priority, project: state.job.project, sequence: jobId });
      this.pending.set(job.routingKey, waiting);
      if (this.holds.has(jobId)) this.held.add(jobId);
    }
  }
}

function serves(capabilities: Capabilities | undefined, routingKey: string): boolean {
  if (!capabilities) return false;
  const [format, suite, arch] = routingKey.split('.');
  return capabilities.formats.includes(format ?? '') && capabilities.suites.includes(suite ?? '') && capabilities.arches.includes(arch ?? '');
}

function slotsOf(capabilities: Capabilities | undefined): number {
  return capabilities?.slots ?? 0;
}
