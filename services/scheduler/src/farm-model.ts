import { pickNextJobs, type DomainEvent, type JobSubmitted, type PendingJob } from '@tsbit/domain';
import { buildRoutingKey } from '@tsbit/messaging';

/** What the scheduler knows of a job, folded from its events. */
export interface TrackedJob {
  job: JobSubmitted['data'];
  routingKey: string;
  status: 'Waiting' | 'Blocked' | 'Building' | 'Cancelling' | 'Done' | 'Failed' | 'Cancelled' | 'Deleted';
  attempt: number;
  queued: boolean;
  builder: string | null;
  /** Arrival order, for first come first served. */
  sequence: number;
}

export interface TrackedBuilder {
  name: string;
  arches: string[];
  suites: string[];
  formats: string[];
  slots: number;
  paused: boolean;
  lost: boolean;
  lastSeen: number;
}

/**
 * The scheduler's picture of the farm: jobs, the dispatch queue per routing key, what is out on
 * the build queues or building, builders and their capacity. Folded from the log at start and
 * kept current from the events, so a restarted scheduler picks up where the last one stopped.
 * Applying an event twice changes nothing.
 */
export class FarmModel {
  readonly jobs = new Map<number, TrackedJob>();
  readonly builders = new Map<string, TrackedBuilder>();
  /** Jobs waiting for a slot, by routing key. */
  readonly pending = new Map<string, Map<number, PendingJob>>();
  /** Jobs handed to the build queues or building, by routing key. */
  readonly outstanding = new Map<string, Set<number>>();
  readonly dependants = new Map<number, Set<number>>();
  /** Dispatches per project, so that projects take turns for freed slots. */
  private readonly served = new Map<string, number>();
  private sequence = 0;

  apply(event: DomainEvent): void {
    switch (event.type) {
      case 'JobSubmitted': {
        if (this.jobs.has(event.data.jobId)) return;
        const job = event.data;
        this.jobs.set(job.jobId, { job, routingKey: buildRoutingKey(job), status: 'Waiting', attempt: 0, queued: false, builder: null, sequence: (this.sequence += 1) });
        for (const dependency of job.dependsOn) {
          const set = this.dependants.get(dependency) ?? new Set();
          set.add(job.jobId);
          this.dependants.set(dependency, set);
        }
        return;
      }
      case 'JobBlocked':
        return this.update(event.data.jobId, (job) => ({ ...job, status: 'Blocked' }));
      case 'JobQueued':
        return this.update(event.data.jobId, (job) => ({ ...job, status: 'Waiting', attempt: Math.max(job.attempt, event.data.attempt), queued: true }));
      case 'BuildStarted':
        return this.update(event.data.jobId, (job) => (event.data.attempt < job.attempt ? job : { ...job, status: 'Building', attempt: event.data.attempt, builder: event.data.builder }));
      case 'BuildSucceeded':
        return this.update(event.data.jobId, (job) => ({ ...job, status: 'Done' }));
      case 'BuildFailed':
        return this.update(event.data.jobId, (job) => (job.attempt > event.data.attempt ? job : { ...job, status: 'Failed' }));
      case 'LeaseExpired':
        return this.update(event.data.jobId, (job) => (job.attempt > event.data.attempt || job.status === 'Cancelled' ? job : { ...job, status: 'Waiting', queued: false, builder: null }));
      case 'JobCancelRequested':
        return this.update(event.data.jobId, (job) => (job.status === 'Building' ? { ...job, status: 'Cancelling' } : job));
      case 'JobCancelled':
        return this.update(event.data.jobId, (job) => ({ ...job, status: 'Cancelled' }));
      case 'JobRetried':
        return this.update(event.data.jobId, (job) => (job.attempt >= event.data.attempt ? job : { ...job, status: 'Waiting', queued: false, builder: null, attempt: event.data.attempt - 1 }));
      case 'JobDeleted':
        return this.update(event.data.jobId, (job) => ({ ...job, status: 'Deleted' }));
      case 'BuilderRegistered': {
        const existing = this.builders.get(event.data.name);
        const { name, arches, suites, formats, slots } = event.data;
        this.builders.set(name, { name, arches, suites, formats, slots, paused: existing?.paused ?? false, lost: false, lastSeen: existing?.lastSeen ?? Date.now() });
        return;
      }
      case 'BuilderLost':
        return this.updateBuilder(event.data.name, (builder) => ({ ...builder, lost: true }));
      case 'BuilderPaused':
        return this.updateBuilder(event.data.name, (builder) => ({ ...builder, paused: true }));
      case 'BuilderResumed':
        return this.updateBuilder(event.data.name, (builder) => ({ ...builder, paused: false }));
      default:
        return;
    }
  }

  /** Marks a job as handed to the build queue, before its JobQueued comes back from the log. */
  reserve(jobId: number): void {
    const job = this.jobs.get(jobId);
    if (!job) return;
    this.pending.get(job.routingKey)?.delete(jobId);
    this.setOf(this.outstanding, job.routingKey).add(jobId);
    this.served.set(job.job.project, (this.served.get(job.job.project) ?? 0) + 1);
  }

  /** Puts a job back among the ones waiting for a slot (after a failed dispatch). */
  release(jobId: number): void {
    const job = this.jobs.get(jobId);
    if (job) this.place(job, true);
  }

  /** Builders that may take work for a routing key now. */
  liveBuildersFor(routingKey: string): TrackedBuilder[] {
    const [format, suite, arch] = routingKey.split('.');
    return [...this.builders.values()].filter(
      (builder) => !builder.lost && !builder.paused && builder.formats.includes(format as string) && builder.suites.includes(suite as string) && builder.arches.includes(arch as string),
    );
  }

  /** The jobs to hand out now, fairly, within the free capacity of each routing key. */
  nextDispatches(): TrackedJob[] {
    const picked: TrackedJob[] = [];
    for (const [routingKey, waiting] of this.pending) {
      if (waiting.size === 0) continue;
      const capacity = this.liveBuildersFor(routingKey).reduce((sum, builder) => sum + builder.slots, 0);
      const busy = this.outstanding.get(routingKey) ?? new Set();
      const free = capacity - busy.size;
      if (free <= 0) continue;
      const running = new Map<string, number>();
      for (const jobId of busy) {
        const project = this.jobs.get(jobId)?.job.project ?? '';
        running.set(project, (running.get(project) ?? 0) + 1);
      }
      for (const next of pickNextJobs([...waiting.values()], free, running, this.served)) {
        const job = this.jobs.get(next.jobId);
        if (job) picked.push(job);
      }
    }
    return picked;
  }

  /** Jobs waiting for a slot and jobs out on builders, per architecture: what builder pools are sized by. */
  workByArch(): Map<string, { waiting: number; building: number }> {
    const work = new Map<string, { waiting: number; building: number }>();
    const add = (routingKey: string, field: 'waiting' | 'building', count: number): void => {
      const arch = routingKey.split('.')[2] ?? '';
      const entry = work.get(arch) ?? { waiting: 0, building: 0 };
      entry[field] += count;
      work.set(arch, entry);
    };
    for (const [key, jobs] of this.pending) add(key, 'waiting', jobs.size);
    for (const [key, jobs] of this.outstanding) add(key, 'building', jobs.size);
    return work;
  }

  private update(jobId: number, change: (job: TrackedJob) => TrackedJob): void {
    const job = this.jobs.get(jobId);
    if (!job) return;
    const next = change(job);
    this.jobs.set(jobId, next);
    this.place(next, false);
  }

  /**
   * Keeps the dispatch queue and the outstanding set true to a job's state. A job that waits and
   * is not queued belongs to the dispatch queue only once the scheduler has decided it may build
   * (`ready`), which `release` says for new and unblocked jobs.
   */
  private place(job: TrackedJob, ready: boolean): void {
    const id = job.job.jobId;
    const waiting = this.pending.get(job.routingKey);
    const out = this.outstanding.get(job.routingKey);
    const isOut = (job.status === 'Waiting' && job.queued) || job.status === 'Building' || job.status === 'Cancelling';
    if (isOut) {
      waiting?.delete(id);
      this.setOf(this.outstanding, job.routingKey).add(id);
      return;
    }
    out?.delete(id);
    if (job.status === 'Waiting' && !job.queued && (ready || waiting?.has(id) || job.attempt > 0)) {
      const queue = this.pending.get(job.routingKey) ?? new Map<number, PendingJob>();
      queue.set(id, { jobId: id, priority: job.job.priority, project: job.job.project, sequence: job.sequence });
      this.pending.set(job.routingKey, queue);
    } else {
      waiting?.delete(id);
    }
  }

  private updateBuilder(name: string, change: (builder: TrackedBuilder) => TrackedBuilder): void {
    const builder = this.builders.get(name);
    if (builder) this.builders.set(name, change(builder));
  }

  private setOf<K, V>(map: Map<K, Set<V>>, key: K): Set<V> {
    const set = map.get(key) ?? new Set<V>();
    map.set(key, set);
    return set;
  }
}
