import { explainWaiting, jobsAheadInFairQueue, waitingForOtherBuilder, type QueueCapacity } from './waiting';

const job = { suite: 'bookworm', arch: 'arm64', format: 'deb' };
const now = new Date('2026-12-01T10:00:00Z');
const open = (openSlots: number, busySlots = 0): QueueCapacity => ({ onlineForArch: 1, capable: 1, openSlots, busySlots });

describe('why a job waits for a slot', () => {
  it('given no builder online for its architecture, says so, without an estimate', () => {
    expect(explainWaiting(job, { onlineForArch: 0, capable: 0, openSlots: 0, busySlots: 0 }, undefined, now)).toEqual({
      reason: { code: 'no_builder_online', message: 'no builder online for arm64', jobIds: [] },
      estimatedStartAt: null,
    });
  });

  it('given builders for the architecture but none for its suite and format, names the whole queue', () => {
    expect(explainWaiting(job, { onlineForArch: 2, capable: 0, openSlots: 0, busySlots: 0 }, undefined, now).reason).toEqual({
      code: 'no_builder_online',
      message: 'no builder online for bookworm/arm64 (deb)',
      jobIds: [],
    });
  });

  it('given every capable builder paused, says an admin paused them', () => {
    expect(explainWaiting(job, { onlineForArch: 1, capable: 1, openSlots: 0, busySlots: 0 }, { ahead: 0, averageBuildSeconds: 60 }, now)).toEqual({
      reason: { code: 'paused_by_admin', message: 'every builder for bookworm/arm64 is paused by an admin', jobIds: [] },
      estimatedStartAt: null,
    });
  });

  it('given its place in the queue, gives it as an ordinal and estimates from recent builds per open slot', () => {
    const explained = explainWaiting(job, open(2), { ahead: 5, averageBuildSeconds: 60 }, now);
    expect(explained.reason).toEqual({ code: 'queued', message: '6th in the queue for bookworm/arm64', jobIds: [] });
    // two idle slots take two of the five ahead now; the other three leave in two rounds of one-minute builds
    expect(explained.estimatedStartAt).toBe('2026-12-01T10:02:00.000Z');
  });

  it('given every slot busy, the first in the queue waits for a build to end', () => {
    expect(explainWaiting(job, open(2, 2), { ahead: 0, averageBuildSeconds: 60 }, now).estimatedStartAt).toBe('2026-12-01T10:01:00.000Z');
    expect(explainWaiting(job, open(2, 1), { ahead: 0, averageBuildSeconds: 60 }, now).estimatedStartAt).toBe(now.toISOString());
    expect(explainWaiting(job, open(2, 1), { ahead: 1, averageBuildSeconds: 60 }, now).estimatedStartAt).toBe('2026-12-01T10:01:00.000Z');
  });

  it('given the first place, starts now; given no finished build yet, gives no estimate', () => {
    expect(explainWaiting(job, open(1), { ahead: 0, averageBuildSeconds: 30 }, now)).toMatchObject({ reason: { message: '1st in the queue for bookworm/arm64' }, estimatedStartAt: now.toISOString() });
    expect(explainWaiting(job, open(1), { ahead: 11, averageBuildSeconds: null }, now)).toMatchObject({ reason: { message: '12th in the queue for bookworm/arm64' }, estimatedStartAt: null });
    expect(explainWaiting(job, open(1), { ahead: 22, averageBuildSeconds: null }, now).reason.message).toBe('23rd in the queue for bookworm/arm64');
  });

  it('given no place (a list page), says which queue it waits in', () => {
    expect(explainWaiting(job, open(1), undefined, now)).toEqual({ reason: { code: 'queued', message: 'in the queue for bookworm/arm64', jobIds: [] }, estimatedStartAt: null });
  });
});

describe('how many jobs go before a waiting job, projects taking turns', () => {
  it('given an urgent job of its own project behind a mass rebuild of another, none of the rebuild goes first', () => {
    expect(jobsAheadInFairQueue({ higherPriority: 0, ownProjectBefore: 0, otherProjects: [5000] })).toBe(0);
  });

  it('given jobs of its own project ahead, each other project gets as many turns, up to what it has', () => {
    expect(jobsAheadInFairQueue({ higherPriority: 0, ownProjectBefore: 3, otherProjects: [5000, 2] })).toBe(3 + 3 + 2);
  });

  it('given jobs of a higher priority, they all go first', () => {
    expect(jobsAheadInFairQueue({ higherPriority: 7, ownProjectBefore: 1, otherProjects: [] })).toBe(8);
  });
});

describe('why a rebuild check waits', () => {
  const check = { ...job, arch: 'amd64', id: 12, rebuildOf: 7, avoidBuilder: 'b1' };
  it('given only the builder of the original, says it needs another one, naming both', () =>
    expect(waitingForOtherBuilder(check, 0)).toEqual({
      code: 'waiting_for_other_builder',
      message: 'a rebuild check of job 7 needs a builder other than b1 for bookworm/amd64',
      jobIds: [7],
    }));
  it('given another open builder, has nothing to add to its place in the queue', () => expect(waitingForOtherBuilder(check, 1)).toBeUndefined());
});
