import type { BuilderEvent, JobEvent } from '@tsbit/domain';
import { at, submittedJob } from '@tsbit/read-models/testing';
import { FarmModel } from './farm-model';

const T0 = Date.parse(at(0));
const BACKOFF_MS = 60_000;

/** A model fed with events the way the log numbers them: per stream, from version 0. */
function farm() {
  const model = new FarmModel({ dependencyWaitBackoffMs: BACKOFF_MS });
  const versions = new Map<string, number>();
  const next = (stream: string): number => {
    const version = (versions.get(stream) ?? -1) + 1;
    versions.set(stream, version);
    return version;
  };
  return {
    model,
    job(...events: JobEvent[]) {
      for (const event of events) model.applyJobEvent(event.data.jobId, next(`job-${event.data.jobId}`), event, T0);
    },
    builder(...events: BuilderEvent[]) {
      for (const event of events) model.applyBuilderEvent(event.data.name, next(`builder-${event.data.name}`), event, T0);
    },
    submit(jobId: number, change: Parameters<typeof submittedJob>[1] = {}) {
      this.job(submittedJob(jobId, change));
      model.release(jobId);
    },
    /** Plans a pass and records what it picked as queued, as the scheduler does. */
    dispatch(now = T0): number[] {
      const picked = model.planDispatch(now);
      for (const { job } of picked) this.job({ type: 'JobQueued', data: { jobId: job.state.job.jobId, attempt: job.state.attempt + 1, routingKey: job.routingKey, queuedAt: at(1) } });
      return picked.map(({ job }) => job.state.job.jobId);
    },
  };
}

const registered = (name: string, slots = 1, arches = ['amd64']): BuilderEvent => ({
  type: 'BuilderRegistered',
  data: { name, arches, suites: ['bookworm'], formats: ['deb'], slots, registeredAt: at(0), archSupport: [], unavailable: [] },
});
const started = (jobId: number, builder = 'b1', attempt = 1): JobEvent => ({ type: 'BuildStarted', data: { jobId, attempt, builder, startedAt: at(2), mode: '' } });
const succeeded = (jobId: number, builder = 'b1', attempt = 1): JobEvent => ({ type: 'BuildSucceeded', data: { jobId, attempt, builder, artifacts: [], finishedAt: at(3) } });

describe("the scheduler's picture of the farm", () => {
  it('hands out no more jobs than live builders have free slots', () => {
    const f = farm();
    f.builder(registered('b1', 2));
    [1, 2, 3].forEach((id) => f.submit(id));
    expect(f.dispatch()).toEqual([1, 2]);
    expect(f.dispatch()).toEqual([]);
    f.job(started(1), succeeded(1));
    expect(f.dispatch()).toEqual([3]);
  });

  it('counts a slot taken from the moment a job is picked, before its JobQueued is recorded', () => {
    const f = farm();
    f.builder(registered('b1'));
    [1, 2].forEach((id) => f.submit(id));
    expect(f.model.planDispatch(T0).map(({ job }) => job.state.job.jobId)).toEqual([1]);
    expect(f.model.planDispatch(T0)).toEqual([]);
    f.model.undispatch(1);
    expect(f.model.planDispatch(T0).map(({ job }) => job.state.job.jobId)).toEqual([1]);
  });

  it('holds jobs for a routing key no builder serves, and dispatches them once one does', () => {
    const f = farm();
    f.builder(registered('b1'));
    f.submit(1, { arch: 'arm64' });
    expect(f.dispatch()).toEqual([]);
    expect(Object.fromEntries(f.model.pendingCount())).toEqual({ 'deb.bookworm.arm64': 1 });
    f.builder(registered('b2', 1, ['arm64']));
    expect(f.dispatch()).toEqual([1]);
  });

  it('gives paused and lost builders no work, and work again once they are back', () => {
    const f = farm();
    f.builder(registered('b1'), { type: 'BuilderPaused', data: { name: 'b1', pausedBy: 'admin', pausedAt: at(0) } });
    f.submit(1);
    expect(f.dispatch()).toEqual([]);
    f.builder({ type: 'BuilderResumed', data: { name: 'b1', resumedBy: 'admin', resumedAt: at(0) } }, { type: 'BuilderLost', data: { name: 'b1', lostAt: at(0) } });
    expect(f.dispatch()).toEqual([]);
    f.builder(registered('b1'));
    expect(f.dispatch()).toEqual([1]);
  });

  it('gives a retired builder no work, and work again once it registers anew', () => {
    const f = farm();
    f.builder(registered('b1'), { type: 'BuilderPaused', data: { name: 'b1', pausedBy: 'admin', pausedAt: at(1) } }, { type: 'BuilderRetired', data: { name: 'b1', retiredBy: 'admin', retiredAt: at(2) } });
    f.submit(1);
    expect(f.dispatch()).toEqual([]);
    expect(f.model.hasLiveBuilderFor('deb.bookworm.amd64')).toBe(false);
    f.builder(registered('b1'));
    expect(f.dispatch()).toEqual([1]);
  });

  it('shares one builder slot among the keys it serves', () => {
    const f = farm();
    f.builder({ type: 'BuilderRegistered', data: { name: 'b1', arches: ['amd64', 'i386'], suites: ['bookworm'], formats: ['deb'], slots: 1, registeredAt: at(0), archSupport: [], unavailable: [] } });
    f.submit(1);
    f.submit(2, { arch: 'i386' });
    expect(f.dispatch()).toEqual([1]);
    expect(f.dispatch()).toEqual([]);
  });

  it('dispatches nothing before the scheduler has judged a job, and nothing that is Blocked', () => {
    const f = farm();
    f.builder(registered('b1'));
    f.job(submittedJob(1), submittedJob(2, { dependsOn: [1] }));
    expect(f.dispatch()).toEqual([]);
    expect(f.model.unjudged().map((job) => job.state.job.jobId)).toEqual([1, 2]);
    f.job({ type: 'JobBlocked', data: { jobId: 2, reason: { code: 'waiting_for_dependency', message: 'waiting for dependency job 1', jobIds: [1] }, blockedAt: at(1) } });
    f.model.release(1);
    expect(f.dispatch()).toEqual([1]);
    expect(f.model.dependantsOf(1)).toEqual([2]);
  });

  it('lets another project have the freed slot before a mass rebuild goes on', () => {
    const f = farm();
    f.builder(registered('b1'));
    [1, 2, 3].forEach((id) => f.submit(id, { project: 'mass' }));
    expect(f.dispatch()).toEqual([1]);
    f.submit(4, { project: 'alice' });
    f.job(started(1), succeeded(1));
    expect(f.dispatch()).toEqual([4]);
  });

  it('needs a new judgement for the next attempt after a lease expiry or a retry', () => {
    const f = farm();
    f.builder(registered('b1'));
    f.submit(1);
    f.dispatch();
    f.job(started(1), { type: 'LeaseExpired', data: { jobId: 1, attempt: 1, builder: 'b1', expiredAt: at(5) } });
    expect(f.model.unjudged().map((job) => job.state.job.jobId)).toEqual([1]);
    expect(f.model.building()).toEqual([]);
    f.model.release(1);
    expect(f.dispatch()).toEqual([1]);
    expect(f.model.job(1)?.state.attempt).toBe(2);
  });

  it('holds a job in dependency wait until its back-off has passed, also when folded from the log', () => {
    const f = farm();
    f.builder(registered('b1'));
    f.submit(1);
    f.dispatch();
    // Folded as at start-up: a Failed job stays whole until the fold ends (live, it is read again).
    f.model.beginFold();
    f.job(
      started(1),
      { type: 'BuildFailed', data: { jobId: 1, attempt: 1, builder: 'b1', failureClass: 'infrastructure', reason: { code: 'dependency_wait', message: 'x', jobIds: [] }, artifacts: [], finishedAt: at(4) } },
      { type: 'JobRetried', data: { jobId: 1, attempt: 2, retriedBy: { kind: 'system', name: 'tsbit' }, automatic: true, retriedAt: at(4) } },
      { type: 'JobBlocked', data: { jobId: 1, reason: { code: 'dependency_wait', message: 'x', jobIds: [] }, blockedAt: at(4) } },
    );
    f.model.endFold(T0);
    const blockedAt = Date.parse(at(4));
    expect(f.model.unjudged()).toEqual([]);
    expect(f.dispatch(blockedAt + BACKOFF_MS - 1)).toEqual([]);
    expect(f.model.nextHoldEnd(blockedAt)).toBe(blockedAt + BACKOFF_MS);
    expect(f.dispatch(blockedAt + BACKOFF_MS)).toEqual([1]);
  });

  it('keeps a hold set before a retry while the job shows Failed on the way', () => {
    const f = farm();
    f.builder(registered('b1'));
    f.submit(1);
    f.dispatch();
    f.job(started(1));
    f.model.hold(1, T0 + 1000);
    // Live, Failed compacts the job; the JobRetried after it is read again from the log.
    f.job({ type: 'BuildFailed', data: { jobId: 1, attempt: 1, builder: 'b1', failureClass: 'infrastructure', reason: { code: 'dependency_wait', message: 'x', jobIds: [] }, artifacts: [], finishedAt: at(4) } });
    const retried = f.model.job(1);
    expect(retried).toBeUndefined();
    f.model.setJobState({ job: submittedJob(1).data, status: 'Waiting', attempt: 1, queued: false, infrastructureRetries: 1, dependencyWaits: 0, reason: null }, 4);
    f.model.release(1);
    expect(f.dispatch(T0 + 999)).toEqual([]);
    expect(f.dispatch(T0 + 1000)).toEqual([1]);
  });

  it('ends the hold of a job in dependency wait when its suite gets a package it waits for', () => {
    const f = farm();
    f.builder(registered('b1'));
    f.submit(1);
    f.dispatch();
    f.job(started(1));
    f.model.hold(1, T0 + BACKOFF_MS, ['libfoo-dev', 'libbar-dev']);
    f.job(
      { type: 'BuildFailed', data: { jobId: 1, attempt: 1, builder: 'b1', failureClass: 'infrastructure', reason: { code: 'dependency_wait', message: 'x', jobIds: [] }, artifacts: [], finishedAt: at(4) } },
    );
    f.model.setJobState({ job: submittedJob(1).data, status: 'Blocked', attempt: 1, queued: false, infrastructureRetries: 0, dependencyWaits: 1, reason: { code: 'dependency_wait', message: 'x', jobIds: [] } }, 5);
    expect(f.dispatch(T0 + 1)).toEqual([]);
    expect(f.model.awaitedBy(1)).toEqual(['libfoo-dev', 'libbar-dev']);

    expect(f.model.packagesPublished('trixie', ['libfoo-dev'])).toEqual([]);
    expect(f.model.packagesPublished('bookworm', ['libfoo1', 'foo'])).toEqual([]);
    expect(f.dispatch(T0 + 1)).toEqual([]);
    expect(f.model.packagesPublished('bookworm', ['foo', 'libbar-dev'])).toEqual([1]);
    expect(f.dispatch(T0 + 1)).toEqual([1]);
    expect(f.model.awaitedBy(1)).toEqual([]);
  });

  it('names the older unfinished jobs of the same package instance that a new job supersedes', () => {
    const f = farm();
    f.builder(registered('b1'));
    f.submit(1, { package: 'hello', version: '1.0-1' });
    f.submit(2, { package: 'hello', version: '1.0-1', arch: 'i386' });
    f.submit(3, { package: 'hello', version: '2.0-1' });
    f.submit(4, { package: 'other', version: '1.0-1' });
    f.submit(5, { package: 'hello', version: '1.0-1' });
    f.submit(6, { package: 'hello', version: '1.5-1' });
    // Job 5 is older than job 3's version: it supersedes job 1 only (same version), not job 3.
    expect(f.model.supersededBy(5)).toEqual([1]);
    expect(f.model.supersededBy(6)).toEqual([1, 5]);
    expect(f.model.supersededBy(3)).toEqual([1]);
    f.job({ type: 'JobCancelled', data: { jobId: 1, cancelledBy: { kind: 'user', name: 'alice' }, reason: { code: 'cancelled_by_user', message: 'x', jobIds: [] }, cancelledAt: at(2) } });
    expect(f.model.supersededBy(6)).toEqual([5]);
  });

  it('applies each event once, and reports a gap when a version is missing', () => {
    const f = farm();
    const submitted = submittedJob(1);
    expect(f.model.applyJobEvent(1, 0, submitted, T0)).toMatchObject({ kind: 'changed', to: 'Waiting' });
    expect(f.model.applyJobEvent(1, 0, submitted, T0)).toEqual({ kind: 'duplicate' });
    expect(f.model.applyJobEvent(1, 2, started(1), T0)).toEqual({ kind: 'gap' });
    expect(f.model.applyJobEvent(2, 1, started(2), T0)).toEqual({ kind: 'gap' });
  });

  it('keeps finished jobs small but still answers for them as dependencies', () => {
    const f = farm();
    f.builder(registered('b1'));
    f.submit(1);
    f.dispatch();
    f.job(started(1), succeeded(1));
    expect(f.model.job(1)).toBeUndefined();
    expect(f.model.dependencyStatusOf(1)).toBe('Done');
    expect(f.model.versionOf(1)).toBe(3);
    expect(f.model.applyJobEvent(1, 4, { type: 'JobDeleted', data: { jobId: 1, deletedBy: { kind: 'user', name: 'alice' }, deletedAt: at(9) } }, T0)).toMatchObject({ kind: 'changed', to: 'Deleted' });
    expect(f.model.dependencyStatusOf(1)).toBe('Done');
    expect(f.model.applyJobEvent(1, 5, { type: 'JobRetried', data: { jobId: 1, attempt: 2, retriedBy: { kind: 'user', name: 'alice' }, automatic: false, retriedAt: at(9) } }, T0)).toEqual({ kind: 'gap' });
  });

  it('tells the work per architecture that builder pools are sized by', () => {
    const f = farm();
    f.builder(registered('b1'));
    [1, 2].forEach((id) => f.submit(id));
    f.submit(3, { arch: 'arm64' });
    f.dispatch();
    expect(Object.fromEntries(f.model.workByArch())).toEqual({ amd64: { waiting: 1, building: 1 }, arm64: { waiting: 1, building: 0 } });
  });

  it('names the builders that have been silent since a time', () => {
    const f = farm();
    f.builder(registered('b1'), registered('b2'));
    f.model.heardFrom('b2', T0 + 10_000);
    expect(f.model.silentBuilders(T0 + 5_000)).toEqual(['b1']);
  });
});
