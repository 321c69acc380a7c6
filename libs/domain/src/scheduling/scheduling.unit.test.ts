import { judgeDependencies } from './dependencies';
import { pickNextJobs, type PendingJob } from './fair-queue';
import { supersededBy } from './supersede';

describe('fair dispatch', () => {
  it('gives the next free slot to an urgent job of another project, whatever is queued ahead', () => {
    const mass: PendingJob[] = Array.from({ length: 5000 }, (_, n) => ({ jobId: n + 1, priority: 0, project: 'mass', sequence: n }));
    const urgent: PendingJob = { jobId: 9999, priority: 0, project: 'alice', sequence: 5000 };
    const [next] = pickNextJobs([...mass, urgent], 1, new Map([['mass', 1]]));
    expect(next?.jobId).toBe(9999);
  });

  it('serves higher priority first, then shares slots between projects, then first come first served', () => {
    const pending: PendingJob[] = [
      { jobId: 1, priority: 0, project: 'a', sequence: 1 },
      { jobId: 2, priority: 0, project: 'a', sequence: 2 },
      { jobId: 3, priority: 0, project: 'b', sequence: 3 },
      { jobId: 4, priority: 5, project: 'a', sequence: 4 },
    ];
    expect(pickNextJobs(pending, 4, new Map()).map((job) => job.jobId)).toEqual([4, 3, 1, 2]);
  });

  it('takes turns between projects when nothing runs, by how often each was served', () => {
    const pending: PendingJob[] = [
      { jobId: 1, priority: 0, project: 'mass', sequence: 1 },
      { jobId: 2, priority: 0, project: 'mass', sequence: 2 },
      { jobId: 3, priority: 0, project: 'alice', sequence: 3 },
    ];
    expect(pickNextJobs(pending, 1, new Map(), new Map([['mass', 7]])).map((job) => job.jobId)).toEqual([3]);
  });

  it('picks nothing without a free slot', () => expect(pickNextJobs([{ jobId: 1, priority: 0, project: 'a', sequence: 1 }], 0, new Map())).toEqual([]));
});

describe('superseding', () => {
  const base = { package: 'hello', dist: 'debian', suite: 'bookworm', arch: 'amd64', env: '' };
  it('cancels unfinished jobs of the same package whose version is not newer', () => {
    const unfinished = [
      { ...base, jobId: 1, version: '1.0-1' },
      { ...base, jobId: 2, version: '1.0-2' },
      { ...base, jobId: 3, version: '2.0-1' },
      { ...base, jobId: 4, version: '1.0-1', arch: 'arm64' },
    ];
    expect(supersededBy(unfinished, { ...base, jobId: 5, version: '1.0-2' })).toEqual([1, 2]);
  });

  it('lets a rebuild check neither supersede nor be superseded: it replaces nothing', () => {
    const unfinished = [
      { ...base, jobId: 1, version: '1.0-1' },
      { ...base, jobId: 2, version: '1.0-1', rebuildOf: 1 },
    ];
    expect(supersededBy(unfinished, { ...base, jobId: 3, version: '1.0-1', rebuildOf: 1 })).toEqual([]);
    expect(supersededBy(unfinished, { ...base, jobId: 4, version: '1.0-2' })).toEqual([1]);
  });
});

describe('dependencies', () => {
  it('is ready when every dependency is Done', () => expect(judgeDependencies([{ jobId: 1, status: 'Done' }])).toEqual({ kind: 'ready' }));
  it('waits, naming the dependencies not done', () =>
    expect(judgeDependencies([{ jobId: 1, status: 'Done' }, { jobId: 2, status: 'Building' }])).toMatchObject({ kind: 'wait', reason: { code: 'waiting_for_dependency', jobIds: [2] } }));
  it('never builds after a dependency failed or vanished', () =>
    expect(judgeDependencies([{ jobId: 1, status: 'Failed' }, { jobId: 3, status: undefined }])).toMatchObject({ kind: 'cancel', reason: { code: 'dependency_failed', jobIds: [1, 3] } }));
});
